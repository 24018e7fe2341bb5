/**
 * Entry point of a forked server process: runs either the webhook or the baseline on 127.0.0.1, so the
 * server under test never shares an event loop with the load generator. Driven only over IPC, and gone as
 * soon as the benchmark is, even if the benchmark dies without saying so.
 */
import type { Server } from 'node:https';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { listen } from '@podmcp/core';
import type { BaselineServer } from './baseline-server.ts';
import type { FromServer, ToServer } from './ipc.ts';

let server: Server | undefined;
let baseline: BaselineServer | undefined;
let otherWebhook = false;

function reply(message: FromServer): void {
  process.send?.(message);
}

async function handle(message: ToServer): Promise<void> {
  switch (message.type) {
    case 'start': {
      const certificate = { certPem: message.certPem, keyPem: message.keyPem, notAfter: new Date(message.notAfter) };
      // Each role loads only its own modules, so the baseline's memory is not inflated by the injector's.
      if (message.source !== undefined) {
        // Another version of the webhook in the baseline's place (--against): it answers for itself.
        const other = pathToFileURL(resolve(message.source, 'bench/webhook/webhook-under-test.ts')).href;
        const { createWebhookUnderTest } = (await import(other)) as typeof import('./webhook-under-test.ts');
        server = createWebhookUnderTest(certificate);
        otherWebhook = true;
      } else if (message.role === 'baseline') {
        const { createBaselineServer } = await import('./baseline-server.ts');
        baseline = createBaselineServer(certificate);
        server = baseline.server;
      } else {
        const { createWebhookUnderTest } = await import('./webhook-under-test.ts');
        server = createWebhookUnderTest(certificate);
      }
      // A listen error rejects, so the benchmark reads it as a failed start rather than a crashed child.
      return reply({ type: 'listening', port: await listen(server, 0, '127.0.0.1') });
    }
    case 'answer-with':
      if (otherWebhook) return reply({ type: 'answer-set' });
      if (!baseline) return reply({ type: 'failed', message: 'only the baseline answers with fixed bytes' });
      baseline.answerWith(Buffer.from(message.body));
      return reply({ type: 'answer-set' });
    case 'usage': {
      const cpu = process.cpuUsage();
      return reply({
        type: 'usage',
        rssBytes: process.memoryUsage.rss(),
        peakRssBytes: process.resourceUsage().maxRSS * 1024,
        cpuMicros: cpu.user + cpu.system,
      });
    }
    case 'stop':
      return stop();
  }
}

function stop(): void {
  server?.close();
  server?.closeAllConnections();
  process.exit(0);
}

process.on('message', (message: ToServer) => {
  handle(message).catch((error: Error) => reply({ type: 'failed', message: error.message }));
});
process.on('disconnect', stop);
