/** Names that exist in the namespace, for completing resource and prompt arguments. Bounded: first 100. */
import type { ServiceContext } from '../context.ts';

export async function podNames(_prefix: string, context: ServiceContext): Promise<string[]> {
  const list = await context.kube.pods.list({ limit: 100 });
  return list.items.map((pod) => pod.metadata?.name ?? '').filter((name) => name !== '');
}

export async function configMapNames(_prefix: string, context: ServiceContext): Promise<string[]> {
  const list = await context.kube.configMaps.list({ limit: 100 });
  return list.items.map((item) => item.metadata?.name ?? '').filter((name) => name !== '');
}

export async function deploymentReferences(_prefix: string, context: ServiceContext): Promise<string[]> {
  const list = await context.kube.deployments.list({ limit: 100 });
  return ['self', ...list.items.map((item) => `deploy/${item.metadata?.name ?? ''}`)];
}

export async function runbookNames(_prefix: string, context: ServiceContext): Promise<string[]> {
  const name = context.settings.runbooks;
  if (!name) return [];
  const configMap = await context.kube.configMaps.read(name);
  return Object.keys(configMap.data ?? {}).sort();
}
