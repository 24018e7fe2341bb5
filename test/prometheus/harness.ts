/**
 * A real Prometheus for the metric-history suites: built from source by build.sh (or PROMETHEUS_BIN and
 * PROMTOOL_BIN), its history written up front with `promtool tsdb create-blocks-from openmetrics`, started on
 * loopback with no scrape targets, and stopped (with a watchdog for a killed test process) when the suite ends.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import { executable, runBuildScript } from '../build-script.ts';
import { skipOrFail } from '../ci.ts';
import { freePort } from '../control-plane/ports.ts';
import { type ManagedProcess, startProcess, startWatchdog, stopProcess } from '../control-plane/processes.ts';

const buildScript = join(dirname(fileURLToPath(import.meta.url)), 'build.sh');

export class PrometheusUnavailableError extends Error {
  override name = 'PrometheusUnavailableError';
}

export interface RunningPrometheus {
  readonly url: string;
  readonly process: ManagedProcess;
  stop(): Promise<void>;
}

/** prometheus and promtool: the user's own first, else the cache build.sh fills (building on first use). */
export function resolvePrometheusBinaries(): { prometheus: string; promtool: string } {
  const supplied = { prometheus: process.env.PROMETHEUS_BIN, promtool: process.env.PROMTOOL_BIN };
  if (supplied.prometheus && supplied.promtool) {
    for (const path of [supplied.prometheus, supplied.promtool]) {
      if (!executable(path)) throw new PrometheusUnavailableError(`${path} is not an executable file`);
    }
    return { prometheus: supplied.prometheus, promtool: supplied.promtool };
  }
  const script = {
    path: buildScript,
    what: 'Prometheus',
    missing: 'Go is not installed',
    unavailable: (message: string) => new PrometheusUnavailableError(message),
  };
  let bin = runBuildScript(script, ['--print']).at(-1) ?? '';
  if (!executable(join(bin, 'prometheus')) || !executable(join(bin, 'promtool'))) {
    bin = runBuildScript(script, []).at(-1) ?? '';
  }
  return { prometheus: join(bin, 'prometheus'), promtool: join(bin, 'promtool') };
}

/**
 * Starts Prometheus with `openMetrics` (OpenMetrics text with timestamps, ending in `# EOF`) as its history.
 * Throws PrometheusUnavailableError when it cannot be built or started.
 */
export async function startPrometheus(openMetrics: string): Promise<RunningPrometheus> {
  const binaries = resolvePrometheusBinaries();
  const directory = mkdtempSync(join(tmpdir(), 'podmcp-prometheus-'));
  const pidFile = join(directory, 'pids');
  startWatchdog(pidFile, directory);
  const data = join(directory, 'data');
  const input = join(directory, 'history.om.txt');
  writeFileSync(input, openMetrics);
  const backfill = spawnSync(binaries.promtool, ['tsdb', 'create-blocks-from', 'openmetrics', input, data], {
    encoding: 'utf8',
  });
  if (backfill.status !== 0) {
    rmSync(directory, { recursive: true, force: true });
    throw new PrometheusUnavailableError(`promtool could not write the history: ${backfill.stderr || backfill.stdout}`);
  }
  const config = join(directory, 'prometheus.yml');
  writeFileSync(config, 'global:\n  scrape_interval: 1m\nscrape_configs: []\n');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = startProcess(
    'prometheus',
    binaries.prometheus,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${data}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=30d',
    ],
    directory,
    pidFile,
  );
  const stop = async () => {
    await stopProcess(child);
    rmSync(directory, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) break;
    } catch {
      // Not listening yet.
    }
    const exited = await Promise.race([
      child.exited,
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 250)),
    ]);
    if (exited !== undefined || Date.now() > deadline) {
      const tail = child.tail();
      await stop();
      throw new PrometheusUnavailableError(`Prometheus did not become ready (${exited ?? 'timeout'}):\n${tail}`);
    }
  }
  return { url, process: child, stop };
}

/** A Prometheus for one test file, or why the suite is skipped (a failure under CI), as controlPlaneForSuite does. */
export async function prometheusForSuite(
  openMetrics: string,
): Promise<{ prometheus: RunningPrometheus | undefined; skip: string | false }> {
  try {
    const prometheus = await startPrometheus(openMetrics);
    after(() => prometheus.stop());
    return { prometheus, skip: false };
  } catch (error) {
    if (!(error instanceof PrometheusUnavailableError)) throw error;
    return { prometheus: undefined, skip: skipOrFail(`no Prometheus: ${error.message}`) };
  }
}
