/**
 * The sidecar's Prometheus metrics, in a registry of its own so tests and embedders never share state. Calls
 * are counted where they are audited (every tool call, resource read and prompt passes the audit log exactly
 * once), and API requests where the namespace guard lets them through — so the numbers cannot drift from
 * what the audit trail and the API server saw.
 */
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { AuditLog } from './governance/audit.ts';
import type { RequestObserver } from './kube/namespaced-kube.ts';

export interface SidecarMetrics {
  readonly registry: Registry;
  readonly toolCalls: Counter<'tool' | 'outcome'>;
  readonly toolDuration: Histogram<'tool' | 'outcome'>;
  readonly kubeRequests: Counter<'verb'>;
  readonly resourceReads: Counter<'outcome'>;
  /** Wraps an audit log so that every record is also counted; the inner log still writes every line. */
  measureAudit(inner: AuditLog): AuditLog;
  /** Pass as createSidecar's `observeRequest`: counts each API request by verb. */
  readonly observeRequest: RequestObserver;
}

export function createSidecarMetrics(options: { processMetrics?: boolean } = {}): SidecarMetrics {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry, prefix: 'podmcp_sidecar_' });
  const toolCalls = new Counter({
    name: 'podmcp_sidecar_tool_calls_total',
    help: 'Tool calls answered, by tool and outcome (ok, error, refused, rate-limited).',
    labelNames: ['tool', 'outcome'],
    registers: [registry],
  });
  const toolDuration = new Histogram({
    name: 'podmcp_sidecar_tool_duration_seconds',
    help: 'Time from a tool call arriving to its answer, by tool and outcome.',
    labelNames: ['tool', 'outcome'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20],
    registers: [registry],
  });
  const kubeRequests = new Counter({
    name: 'podmcp_sidecar_kube_requests_total',
    help: 'Requests sent to the Kubernetes API server (after the namespace guard), by verb. Zero growth while idle.',
    labelNames: ['verb'],
    registers: [registry],
  });
  const resourceReads = new Counter({
    name: 'podmcp_sidecar_resource_reads_total',
    help: 'MCP resource reads answered, by outcome.',
    labelNames: ['outcome'],
    registers: [registry],
  });
  return {
    registry,
    toolCalls,
    toolDuration,
    kubeRequests,
    resourceReads,
    measureAudit(inner) {
      return {
        record(entry) {
          inner.record(entry);
          if (entry.kind === 'tool') {
            const labels = { tool: entry.name, outcome: entry.outcome };
            toolCalls.inc(labels);
            toolDuration.observe(labels, entry.durationMs / 1000);
          } else if (entry.kind === 'resource') {
            resourceReads.inc({ outcome: entry.outcome });
          }
        },
      };
    },
    observeRequest(method, path) {
      kubeRequests.inc({ verb: verbOf(method, path) });
    },
  };
}

/**
 * The Kubernetes verb for a request: GET on a collection is `list`, on a named object `get`; the guard
 * reports watches as WATCH. Paths are never labels (unbounded cardinality); verbs are a closed set.
 */
function verbOf(method: string, path: string): string {
  switch (method.toUpperCase()) {
    case 'WATCH':
      return 'watch';
    case 'GET':
      return isCollection(path) ? 'list' : 'get';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return 'delete';
    default:
      return 'other';
  }
}

/**
 * /api/v1/namespaces/ns/pods and /apis/apps/v1/namespaces/ns/deployments are collections; one more segment
 * (a name) makes an object, and a subresource (pods/x/log) is a read of that object.
 */
function isCollection(path: string): boolean {
  const segments = path.split('?')[0]?.split('/').filter(Boolean) ?? [];
  const version = segments[0] === 'api' ? 2 : segments[0] === 'apis' ? 3 : -1;
  if (version < 0) return false;
  const rest = segments.slice(version);
  // namespaces/<ns>/<resource>[/<name>[/<subresource>]] or <resource>[/<name>]
  const resourceAt = rest[0] === 'namespaces' && rest.length >= 3 ? 2 : 0;
  return rest.length === resourceAt + 1;
}
