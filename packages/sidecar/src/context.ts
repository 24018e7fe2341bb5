/**
 * Everything a tool, resource or prompt may use, built once per process (services) and once per request
 * (context: who is calling, and the request's abort signal).
 */
import type { SidecarSettings } from '@podmcp/core';
import type { Logger } from 'pino';
import type { AppEndpoints } from './app-endpoints.ts';
import type { Caller } from './caller.ts';
import type { AuditLog } from './governance/audit.ts';
import type { CallGate } from './governance/concurrency.ts';
import type { Limits } from './governance/limits.ts';
import type { NamespacedKube } from './kube/namespaced-kube.ts';
import type { Redactor } from './safety/redact.ts';
import type { SelfLocator } from './self.ts';

export interface SidecarServices {
  readonly kube: NamespacedKube;
  readonly self: SelfLocator;
  readonly settings: SidecarSettings;
  readonly app: AppEndpoints;
  readonly redactor: Redactor;
  readonly limits: Limits;
  /** The bound on calls running at once (memory bounded by construction); one per process when not given. */
  readonly calls?: CallGate | undefined;
  readonly audit: AuditLog;
  readonly logger: Logger;
  readonly version: string;
  readonly now: () => Date;
}

export interface ToolContext {
  readonly kube: NamespacedKube;
  readonly self: SelfLocator;
  readonly settings: SidecarSettings;
  readonly app: AppEndpoints;
  readonly caller: Caller;
  readonly signal: AbortSignal;
  readonly now: () => Date;
  /** The sidecar's redaction (shape rules and its own token), for text that leaves through another door (Events). */
  readonly redact?: (text: string) => string;
}

/** What a resource or prompt receives: the same context a tool does. */
export type ServiceContext = ToolContext;

export function contextFor(services: SidecarServices, caller: Caller, signal: AbortSignal): ServiceContext {
  return {
    kube: services.kube,
    self: services.self,
    settings: services.settings,
    app: services.app,
    caller,
    signal,
    now: services.now,
    redact: services.redactor.text,
  };
}
