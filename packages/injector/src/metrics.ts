/** The injector's Prometheus metrics, in a registry of its own so tests and embedders do not share state. */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface InjectorMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'result' | 'reason'>;
  readonly duration: Histogram<'result'>;
  readonly invalidAnnotations: Counter<'key'>;
  readonly certificateExpiry: Gauge;
  readonly certificateReloads: Counter<'result'>;
}

export function createInjectorMetrics(options: { processMetrics?: boolean } = {}): InjectorMetrics {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry, prefix: 'podmcp_injector_' });
  return {
    registry,
    requests: new Counter({
      name: 'podmcp_injector_admission_requests_total',
      help: 'Admission requests answered, by result (injected, skipped, denied, error) and reason.',
      labelNames: ['result', 'reason'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'podmcp_injector_admission_duration_seconds',
      help: 'Time from a complete request body to the answer being written.',
      labelNames: ['result'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    invalidAnnotations: new Counter({
      name: 'podmcp_injector_invalid_annotations_total',
      help: 'Pods denied for an invalid podmcp.dev/ annotation, by annotation key.',
      labelNames: ['key'],
      registers: [registry],
    }),
    certificateExpiry: new Gauge({
      name: 'podmcp_injector_serving_cert_expiry_timestamp_seconds',
      help: 'Expiry of the serving certificate currently in use, as a Unix timestamp.',
      registers: [registry],
    }),
    certificateReloads: new Counter({
      name: 'podmcp_injector_certificate_reloads_total',
      help: 'Serving certificate reloads, by result (ok, error).',
      labelNames: ['result'],
      registers: [registry],
    }),
  };
}
