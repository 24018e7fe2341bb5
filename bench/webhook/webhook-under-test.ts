/**
 * The real webhook server, wired as a deployment would run it: cached configuration, Prometheus metrics,
 * and an info-level log line per decision. The log goes to the null device, asynchronously like pino's
 * default stdout stream, so formatting and writing each line is counted but no terminal or file is.
 */

import type { Server } from 'node:https';
import { devNull } from 'node:os';
import { pino } from 'pino';
import { createInjectorMetrics } from '../../packages/injector/src/metrics.ts';
import { createWebhookServer } from '../../packages/injector/src/webhook-server.ts';
import { benchCluster, benchConfig } from './injector-settings.ts';

export function createWebhookUnderTest(certificate: { certPem: string; keyPem: string; notAfter: Date }): Server {
  return createWebhookServer({
    config: benchConfig,
    cluster: benchCluster,
    logger: pino({ level: 'info' }, pino.destination({ dest: devNull, sync: false })),
    metrics: createInjectorMetrics(),
    certificate,
  });
}
