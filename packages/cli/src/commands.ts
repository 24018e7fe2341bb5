/**
 * Every subcommand, by the name users type. Adding a command is one entry here. A command's module is loaded
 * only when it runs (or its help is asked for): `podmcp serve` must not pay for the injector's certificate code
 * at start, nor `podmcp inject` for the MCP server.
 */
import type { Command } from './command.ts';

export interface CommandEntry {
  /** The one-line summary of the top-level help; a test checks it equals the command's own. */
  readonly summary: string;
  load(): Promise<Command>;
}

export const commands: Readonly<Record<string, CommandEntry>> = {
  inject: {
    summary: 'Add the podmcp sidecar to manifests offline, as the webhook would (--check to lint).',
    load: async () => (await import('./inject/command.ts')).injectCommand,
  },
  serve: {
    summary: 'Run the MCP sidecar for one namespace, over stdio or Streamable HTTP.',
    load: async () => (await import('./serve/command.ts')).serveCommand,
  },
  webhook: {
    summary: 'Run the injector: the mutating admission webhook that adds the podmcp sidecar.',
    load: async () => (await import('./webhook/command.ts')).webhookCommand,
  },
  connect: {
    summary: "Connect a local MCP client to a workload's injected sidecar, by port-forward.",
    load: async () => (await import('./connect/command.ts')).connectCommand,
  },
};
