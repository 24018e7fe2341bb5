/**
 * A change feed for a subscribed resource: a namespace-scoped watch that calls `changed` on every change and
 * starts again when the API server ends it (watches time out by design), until the subscription stops it.
 */
import type { ServiceContext } from '../context.ts';

const RESTART_DELAY_MS = 1000;

export async function watchWhileSubscribed(
  context: ServiceContext,
  path: string,
  query: Record<string, string | number | boolean>,
  changed: () => void,
): Promise<() => void> {
  let stopped = false;
  let controller: AbortController | undefined;
  const start = async () => {
    controller = await context.kube.watch(
      path,
      query,
      (type) => {
        if (type !== 'BOOKMARK') changed();
      },
      () => {
        if (!stopped) setTimeout(() => void start().catch(() => undefined), RESTART_DELAY_MS).unref();
      },
    );
  };
  await start();
  return () => {
    stopped = true;
    controller?.abort();
  };
}
