/**
 * OAuth 2.0 Protected Resource Metadata (RFC 9728) for the MCP endpoint, as the MCP authorization
 * specification asks: an unauthenticated caller is pointed at it by `WWW-Authenticate: Bearer
 * resource_metadata="…"`, and learns from it what token to bring. The authorization server named here is the
 * cluster's ServiceAccount token issuer, when the sidecar can tell it (from its own token); the audience a
 * token must be issued for is in the extra field `podmcp_token_audience`.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import { jwtClaims } from '../jwt.ts';
import { PROTECTED_RESOURCE_METADATA_PATHS } from '../transport/protected-resource.ts';

/** Where the metadata of the resource `/mcp` lives (RFC 9728 section 3: well-known prefix, then the path). */
export const PROTECTED_RESOURCE_METADATA_PATH = PROTECTED_RESOURCE_METADATA_PATHS[0];
export const RESOURCE_DOCUMENTATION = 'https://github.com/podmcp/podmcp#connecting-remote-agents-authentication';

export interface ProtectedResourceMetadata {
  readonly resource: string;
  readonly authorization_servers?: readonly string[];
  readonly bearer_methods_supported: readonly string[];
  readonly resource_name: string;
  readonly resource_documentation: string;
  /** Not an RFC 9728 field: the audience a bearer token must be issued for (`kubectl create token --audience`). */
  readonly podmcp_token_audience: string;
}

/** The origin a request reached us at. The edge has already checked its Host against the allowed names. */
function requestOrigin(request: IncomingMessage): string {
  return `http://${request.headers.host ?? '127.0.0.1'}`;
}

export function metadataUrl(request: IncomingMessage): string {
  return `${requestOrigin(request)}${PROTECTED_RESOURCE_METADATA_PATH}`;
}

export function protectedResourceMetadata(
  request: IncomingMessage,
  options: { readonly namespace: string; readonly audience: string; readonly issuer?: string | undefined },
): ProtectedResourceMetadata {
  return {
    resource: `${requestOrigin(request)}/mcp`,
    ...(options.issuer ? { authorization_servers: [options.issuer] } : {}),
    bearer_methods_supported: ['header'],
    resource_name: `podmcp sidecar for namespace ${options.namespace}`,
    resource_documentation: RESOURCE_DOCUMENTATION,
    podmcp_token_audience: options.audience,
  };
}

/**
 * The ServiceAccount issuer, read from the `iss` claim of the sidecar's own token (a token file or the
 * kubeconfig's token); undefined when that is not a JWT (a client certificate, a static token).
 */
export function serviceAccountIssuer(kubeConfig: KubeConfig, tokenFile: string | undefined): string | undefined {
  const candidates: string[] = [];
  if (tokenFile) {
    try {
      candidates.push(readFileSync(tokenFile, 'utf8').trim());
    } catch {
      // Unreadable now; the issuer is optional.
    }
  }
  const user = kubeConfig.getCurrentUser();
  if (user?.token) candidates.push(user.token);
  const tokenFileOfUser = (user?.authProvider as { config?: { tokenFile?: string } } | undefined)?.config?.tokenFile;
  if (tokenFileOfUser && tokenFileOfUser !== tokenFile) {
    try {
      candidates.push(readFileSync(tokenFileOfUser, 'utf8').trim());
    } catch {
      // As above.
    }
  }
  for (const token of candidates) {
    const issuer = jwtClaims(token)?.iss;
    if (typeof issuer === 'string' && /^https:\/\//.test(issuer)) return issuer;
  }
  return undefined;
}
