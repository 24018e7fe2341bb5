/**
 * Warning events that no pod or rollout finding explains become findings of their own (at most three):
 * volume failures and FailedCreate as errors, anything else as a warning.
 */
import type { CoreV1Event } from '@kubernetes/client-node';
import { aggregateEvents } from '../format/events.ts';
import { cap } from './cluster-text.ts';
import type { Finding, FindingCode } from './findings.ts';

const MAX_EVENT_FINDINGS = 3;

/** Warning reasons already explained by a pod or rollout finding. */
const EXPLAINED_REASONS: ReadonlySet<string> = new Set([
  'BackOff',
  'Unhealthy',
  'FailedScheduling',
  'Failed',
  'ErrImageNeverPull',
  'InspectFailed',
  'ProgressDeadlineExceeded',
]);
const VOLUME_REASONS: ReadonlySet<string> = new Set([
  'FailedMount',
  'FailedAttachVolume',
  'FailedMapVolume',
  'VolumeResizeFailed',
]);

export function eventFindings(events: readonly CoreV1Event[], rolloutCodes: ReadonlySet<FindingCode>): Finding[] {
  const rows = aggregateEvents(events).filter((row) => row.type === 'Warning' && !EXPLAINED_REASONS.has(row.reason));
  const findings: Finding[] = [];
  for (const row of rows) {
    if (row.reason === 'FailedCreate' && rolloutCodes.has('replica-failure')) continue;
    const volume = VOLUME_REASONS.has(row.reason);
    findings.push({
      severity: row.reason === 'FailedCreate' || volume ? 'error' : 'warning',
      code: volume ? 'volume' : 'warning-events',
      text: `${row.reason} on ${row.object} (${row.count}×): ${cap(row.message) ?? ''}`,
    });
    if (findings.length >= MAX_EVENT_FINDINGS) break;
  }
  return findings;
}
