/** The messages between the benchmark and a server process it forked; plain JSON over the IPC channel. */
export type ServerRole = 'webhook' | 'baseline';

export type ToServer =
  | { type: 'start'; role: ServerRole; certPem: string; keyPem: string; notAfter: string; source?: string }
  | { type: 'answer-with'; body: string }
  | { type: 'usage' }
  | { type: 'stop' };

export type FromServer =
  | { type: 'listening'; port: number }
  | { type: 'answer-set' }
  | { type: 'usage'; rssBytes: number; peakRssBytes: number; cpuMicros: number }
  | { type: 'failed'; message: string };

export interface ServerUsage {
  readonly rssBytes: number;
  readonly peakRssBytes: number;
  /** User plus system CPU time of the server process since it started. */
  readonly cpuMicros: number;
}
