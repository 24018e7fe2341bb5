/**
 * examples/demo on the real node: the same objects, with the app container running the node's test app
 * (test/node/images/app) on podinfo's ports (9898 HTTP, 9797 metrics), because a test node pulls no image
 * from a registry. Applied with kubectl, as a user would.
 */
import { execFileSync } from 'node:child_process';
import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node';
import { parseAllDocuments, stringify } from 'yaml';

export function kubectl(kubeconfigFile: string, cwd: string, args: readonly string[], input?: string): string {
  return execFileSync('kubectl', [`--kubeconfig=${kubeconfigFile}`, ...args], {
    cwd,
    encoding: 'utf8',
    ...(input === undefined ? {} : { input }),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

export function parseObjects(yaml: string): KubernetesObject[] {
  return parseAllDocuments(yaml).map((document) => document.toJSON() as KubernetesObject);
}

export function toYaml(objects: readonly KubernetesObject[]): string {
  return objects.map((object) => `---\n${stringify(object)}`).join('');
}

/** The demo's Deployments with their app container switched to the test app. */
export function withTestApp(objects: readonly KubernetesObject[], appImage: string): KubernetesObject[] {
  return objects.map((object) => {
    if (object.kind !== 'Deployment') return object;
    const deployment = structuredClone(object) as V1Deployment;
    const app = deployment.spec?.template.spec?.containers[0];
    if (!app) throw new Error(`Deployment ${object.metadata?.name} has no container`);
    app.image = appImage;
    delete app.command;
    app.args = ['--listen=:9898', '--metrics-listen=:9797'];
    return deployment;
  });
}
