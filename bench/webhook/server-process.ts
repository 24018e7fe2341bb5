/** The benchmark's handle on a forked server process (see server-child.ts): start it, query it, stop it. */
import { type ChildProcess, fork } from 'node:child_process';
import type { FromServer, ServerRole, ServerUsage, ToServer } from './ipc.ts';
import type { TlsIdentity } from './tls-identity.ts';

const REPLY_TIMEOUT_MS = 15_000;

export interface ServerProcess {
  readonly role: ServerRole;
  readonly port: number;
  usage(): Promise<ServerUsage>;
  answerWith(body: Buffer): Promise<void>;
  stop(): Promise<void>;
}

export async function startServerProcess(
  role: ServerRole,
  tls: TlsIdentity,
  options: { cpuProfileDir?: string | undefined; source?: string | undefined } = {},
): Promise<ServerProcess> {
  const profile = options.cpuProfileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir];
  // stdout is dropped so a stray line from a server can never corrupt --json output; stderr stays visible.
  const child = fork(new URL('./server-child.ts', import.meta.url), [], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    execArgv: [...process.execArgv, ...profile],
  });
  try {
    const started = await ask(child, {
      type: 'start',
      role,
      certPem: tls.certPem,
      keyPem: tls.keyPem,
      notAfter: tls.notAfter.toISOString(),
      ...(options.source === undefined ? {} : { source: options.source }),
    });
    if (started.type !== 'listening') throw new Error(`the ${role} server answered ${started.type} to start`);
    return {
      role,
      port: started.port,
      async usage() {
        const answer = await ask(child, { type: 'usage' });
        if (answer.type !== 'usage') throw new Error(`the ${role} server answered ${answer.type} to usage`);
        return { rssBytes: answer.rssBytes, peakRssBytes: answer.peakRssBytes, cpuMicros: answer.cpuMicros };
      },
      async answerWith(body) {
        const answer = await ask(child, { type: 'answer-with', body: body.toString('utf8') });
        if (answer.type !== 'answer-set') throw new Error(`the ${role} server answered ${answer.type} to answer-with`);
      },
      stop: () => stopChild(child),
    };
  } catch (error) {
    child.kill();
    throw error;
  }
}

/** One question, one answer: the benchmark never has two questions in flight to the same process. */
function ask(child: ChildProcess, message: ToServer): Promise<FromServer> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const onMessage = (answer: FromServer) => {
      cleanup();
      if (answer.type === 'failed') reject(new Error(answer.message));
      else resolve(answer);
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`server process exited (code ${code}) before answering ${message.type}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`server process did not answer ${message.type} within ${REPLY_TIMEOUT_MS} ms`));
    }, REPLY_TIMEOUT_MS);
    child.on('message', onMessage);
    child.on('exit', onExit);
    child.send(message);
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    if (child.connected) child.send({ type: 'stop' } satisfies ToServer);
    else child.kill();
  });
}
