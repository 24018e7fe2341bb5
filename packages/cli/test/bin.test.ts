/** The installed command end to end: a real process, real argv, real exit codes. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import packageJson from '../package.json' with { type: 'json' };
import { FIXTURES, runBin } from './helpers.ts';

interface Injected {
  spec: { template: { spec: { initContainers?: Array<{ name: string; restartPolicy?: string }> } } };
}

describe('bin/podmcp.js', () => {
  test('inject -f FILE prints the injected manifest and exits 0', () => {
    const run = runBin(['inject', '-f', join(FIXTURES, 'web.yaml')]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    const sidecar = (parse(run.stdout) as Injected).spec.template.spec.initContainers?.find(
      (container) => container.name === 'podmcp',
    );
    assert.equal(sidecar?.restartPolicy, 'Always');
  });

  test('inject reads piped stdin, and its own output again unchanged', () => {
    const first = runBin(['inject', '-f', join(FIXTURES, 'mixed.yaml')]);
    const second = runBin(['inject'], first.stdout);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout, first.stdout);
  });

  test('inject --check exits 1 on an invalid annotation and 0 on a valid one', () => {
    const invalid = runBin(['inject', '--check', '-f', join(FIXTURES, 'bogus-mode.yaml')]);
    assert.equal(invalid.code, 1);
    assert.match(invalid.stdout, /Deployment\/bogus: deny \(invalid-annotation\)/);
    const valid = runBin(['inject', '--check', '-f', join(FIXTURES, 'web.yaml')]);
    assert.equal(valid.code, 0);
  });

  test('usage errors exit 2', () => {
    const run = runBin(['deploy']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /unknown command "deploy"; known commands: inject/);
  });

  test('src/main.ts runs on its own too (the `npm run podmcp` entry)', () => {
    const run = runBin(['--version'], '', fileURLToPath(new URL('../src/main.ts', import.meta.url)));
    assert.deepEqual(run, { code: 0, stdout: `podmcp ${packageJson.version}\n`, stderr: '' });
  });
});
