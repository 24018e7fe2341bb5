/**
 * What `podmcp webhook --self-signed` runs as in the default overlay, created in a real API server: its
 * namespace, ServiceAccount, the shipped RBAC (the injector's and the self-signed certificates') and the
 * MutatingWebhookConfiguration whose caBundle it fills in.
 */
import { join } from 'node:path';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { createAll, serviceAccountToken } from '../control-plane/kube.ts';
import { MANIFESTS, render } from '../manifests/render.ts';

/** Creates the default overlay's injector access in `namespace` (the overlay's own); returns its ServiceAccount's token. */
export async function createSelfSignedInjectorAccess(kubeConfig: KubeConfig, namespace: string): Promise<string> {
  const rendered = render(join(MANIFESTS, 'overlays/default'));
  const pick = (kind: string, name: string) => rendered.one(kind, name) as KubernetesObject;
  await createAll(kubeConfig, [
    pick('Namespace', namespace),
    pick('ServiceAccount', 'podmcp-injector'),
    pick('ClusterRole', 'podmcp-injector'),
    pick('ClusterRoleBinding', 'podmcp-injector'),
    pick('Role', 'podmcp-injector-self-signed'),
    pick('RoleBinding', 'podmcp-injector-self-signed'),
    pick('ClusterRole', 'podmcp-injector-self-signed'),
    pick('ClusterRoleBinding', 'podmcp-injector-self-signed'),
    pick('MutatingWebhookConfiguration', 'podmcp-injector'),
  ]);
  return serviceAccountToken(kubeConfig, namespace, 'podmcp-injector');
}
