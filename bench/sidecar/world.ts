/**
 * The namespace a sidecar benchmark section runs in: the e2e fixture's world (namespace, ServiceAccount, its
 * read-only token) and the kubeconfig every compared server is started with, written once here for all sections.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ControlPlane, kubeconfigYaml } from '../../test/control-plane/harness.ts';
import { createWorld, type World } from '../../test/e2e/sidecar/fixture.ts';
import type { ServerWorld } from './mcp-servers.ts';

export async function readOnlyWorld(
  plane: ControlPlane,
  scratch: string,
  prefix: string,
): Promise<{ world: World; serverWorld: ServerWorld }> {
  const world = await createWorld(plane, { prefix });
  const kubeconfigFile = join(scratch, `${prefix}.kubeconfig`);
  const kubeconfig = kubeconfigYaml(plane.server, plane.caPem, world.sidecarToken, {
    cluster: 'bench',
    user: 'read-only',
    namespace: world.namespace,
  });
  writeFileSync(kubeconfigFile, kubeconfig, { mode: 0o600 });
  return { world, serverWorld: { home: scratch, kubeconfigFile, namespace: world.namespace } };
}
