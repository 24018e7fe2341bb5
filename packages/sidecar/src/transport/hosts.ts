/**
 * The DNS-rebinding defences: the Host header must name this sidecar (a loopback name, the bind address, or a
 * name it was told about), and an Origin, when a browser sends one, must name one of those hosts too. Checked
 * before routing and before any body is read.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { refuse } from './refuse.ts';

/** Host names every listener accepts: the loopback names an agent uses through a port-forward. */
export const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'] as const;

/** The loopback names, the `extra` names, and the bind address when it is a specific one. */
export function allowedHostNames(extra: readonly string[], bind: string): ReadonlySet<string> {
  const allowed = new Set<string>(LOOPBACK_HOSTS);
  for (const host of [...extra, bind]) {
    const name = normalizeHostName(host);
    if (name && !isWildcard(name)) allowed.add(name);
  }
  return allowed;
}

/** 403 for a foreign Host, then for a foreign Origin (an absent Origin is a non-browser client and is fine). */
export function guardHostAndOrigin(allowedHosts: ReadonlySet<string>, logger: Logger): RequestHandler {
  return (request: Request, response: Response, next: NextFunction) => {
    const hostHeader = request.headers.host;
    const hostName = hostHeader === undefined ? undefined : normalizeHostName(hostHeader);
    if (!hostName || !allowedHosts.has(hostName)) {
      logger.warn({ host: hostHeader, peer: request.socket.remoteAddress }, 'refused a request for a foreign Host');
      return refuse(response, 403, `Invalid Host header: ${JSON.stringify(hostHeader ?? '')}`);
    }
    const origin = request.headers.origin;
    if (origin !== undefined && !originAllowed(origin, allowedHosts)) {
      logger.warn({ origin, peer: request.socket.remoteAddress }, 'refused a request from a foreign Origin');
      return refuse(response, 403, `Invalid Origin header: ${JSON.stringify(origin)}`);
    }
    next();
  };
}

/** The host part of a Host header or host name, lower-cased, IPv6 in brackets; undefined if unparsable. */
export function normalizeHostName(value: string): string | undefined {
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  // A bare IPv6 address (the pod IP from the downward API) gets its brackets first.
  const withBrackets = trimmed.includes(':') && !trimmed.startsWith('[') && isIpv6(trimmed) ? `[${trimmed}]` : trimmed;
  try {
    const url = new URL(`http://${withBrackets}`);
    if (url.username || url.password || url.pathname !== '/' || url.search || url.hash) return undefined;
    return url.hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

/** The host to put in the endpoint's URL: a loopback address when bound to every interface. */
export function urlHost(bind: string): string {
  if (isWildcard(bind)) return '127.0.0.1';
  return bind.includes(':') && !bind.startsWith('[') ? `[${bind}]` : bind;
}

function originAllowed(origin: string, allowedHosts: ReadonlySet<string>): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // includes the opaque origin "null"
  }
  return (url.protocol === 'http:' || url.protocol === 'https:') && allowedHosts.has(url.hostname.toLowerCase());
}

function isIpv6(value: string): boolean {
  return /^[0-9a-f:.]+(%.+)?$/i.test(value) && value.split(':').length > 2;
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}
