/** Every subcommand, by the name users type. Adding a command is one entry here. */
import type { Command } from './command.ts';
import { connectCommand } from './connect/command.ts';
import { injectCommand } from './inject/command.ts';
import { serveCommand } from './serve/command.ts';
import { webhookCommand } from './webhook/command.ts';

export const commands: Readonly<Record<string, Command>> = {
  inject: injectCommand,
  serve: serveCommand,
  webhook: webhookCommand,
  connect: connectCommand,
};
