/**
 * Counting the API requests each server sends, from the API server's own audit log: a policy that records
 * every request by a ServiceAccount (metadata only, once per request), and a reader that counts them by time
 * window and by user agent. This is how the peers are counted; podmcp also counts itself
 * (podmcp_sidecar_kube_requests_total), and the two are reported side by side.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

export interface AuditSetup {
  readonly logFile: string;
  readonly apiserverArgs: readonly string[];
}

export function auditSetup(directory: string): AuditSetup {
  const policyFile = join(directory, 'audit-policy.yaml');
  const logFile = join(directory, 'audit.log');
  writeFileSync(
    policyFile,
    stringify({
      apiVersion: 'audit.k8s.io/v1',
      kind: 'Policy',
      // One record per request: long-running ones (logs) would otherwise also log ResponseStarted.
      omitStages: ['RequestReceived', 'ResponseStarted'],
      rules: [{ level: 'Metadata', userGroups: ['system:serviceaccounts'] }, { level: 'None' }],
    }),
  );
  return {
    logFile,
    apiserverArgs: [
      `--audit-policy-file=${policyFile}`,
      `--audit-log-path=${logFile}`,
      '--audit-log-mode=blocking',
      '--audit-log-maxsize=0',
    ],
  };
}

export interface AuditRecord {
  readonly at: number;
  readonly user: string;
  readonly userAgent: string;
  readonly verb: string;
  readonly uri: string;
  /** HTTP status of the answer; 403 is RBAC saying no. */
  readonly code: number;
}

export function readAudit(logFile: string, user: string): AuditRecord[] {
  let text: string;
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return [];
  }
  const records: AuditRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes(user)) continue;
    try {
      const event = JSON.parse(line) as {
        user?: { username?: string };
        userAgent?: string;
        verb?: string;
        requestURI?: string;
        requestReceivedTimestamp?: string;
        responseStatus?: { code?: number };
      };
      if (event.user?.username !== user) continue;
      records.push({
        at: Date.parse(event.requestReceivedTimestamp ?? ''),
        user,
        userAgent: event.userAgent ?? '',
        verb: event.verb ?? '',
        uri: event.requestURI ?? '',
        code: event.responseStatus?.code ?? 0,
      });
    } catch {
      // A line cut short by a concurrent write; the next read sees it whole.
    }
  }
  return records;
}

/** Which server a user agent belongs to; the direct client and podmcp share @kubernetes/client-node's. */
export function agentOf(userAgent: string): 'kubectl' | 'kubernetes-mcp-server' | 'node' {
  if (/kubectl/i.test(userAgent)) return 'kubectl';
  if (/kubernetes-mcp-server/i.test(userAgent)) return 'kubernetes-mcp-server';
  return 'node';
}

export function inWindow(records: readonly AuditRecord[], from: number, to: number): AuditRecord[] {
  return records.filter((record) => record.at >= from && record.at <= to);
}
