import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import packageJson from '../package.json' with { type: 'json' };
import { commands } from '../src/commands.ts';
import { runCli } from './helpers.ts';

describe('podmcp (dispatcher)', () => {
  test('--help lists every registered command with its summary', async () => {
    for (const flag of ['--help', '-h', 'help']) {
      const run = await runCli([flag]);
      assert.equal(run.code, 0, flag);
      assert.match(run.stdout, /Usage:\n {2}podmcp <command> \[flags\]/);
      for (const [name, command] of Object.entries(commands)) {
        assert.ok(run.stdout.includes(`  ${name} `) && run.stdout.includes(command.summary), `${flag} lists ${name}`);
      }
      assert.equal(run.stderr, '');
    }
  });

  test("each command's summary in the registry is the command's own", async () => {
    for (const [name, entry] of Object.entries(commands)) {
      assert.equal(entry.summary, (await entry.load()).summary, name);
    }
  });

  test('no command prints the help to stderr and exits 2', async () => {
    const run = await runCli([]);
    assert.equal(run.code, 2);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /Commands:\n {2}inject/);
  });

  test('--version prints the package version', async () => {
    const run = await runCli(['--version']);
    assert.deepEqual(run, { code: 0, stdout: `podmcp ${packageJson.version}\n`, stderr: '' });
  });

  test('an unknown command is a usage error naming the known commands', async () => {
    const run = await runCli(['injetc', '-f', 'x.yaml']);
    assert.equal(run.code, 2);
    assert.equal(run.stdout, '');
    assert.equal(
      run.stderr,
      `podmcp: unknown command "injetc"; known commands: ${Object.keys(commands).join(', ')}\nRun 'podmcp --help' for usage.\n`,
    );
  });

  test('Object.prototype names are not commands', async () => {
    const run = await runCli(['constructor']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /unknown command "constructor"/);
  });

  test('an unknown top-level flag is a usage error', async () => {
    const run = await runCli(['--verbose']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^podmcp: unknown flag "--verbose"/);
  });

  test('<command> --help, -h and `help <command>` print the command help on stdout', async () => {
    for (const argv of [
      ['inject', '--help'],
      ['inject', '-f', 'x.yaml', '-h'],
      ['help', 'inject'],
    ]) {
      const run = await runCli(argv);
      assert.equal(run.code, 0, argv.join(' '));
      assert.equal(run.stdout, (await commands.inject?.load())?.help);
      assert.equal(run.stderr, '');
    }
  });

  test('a bad flag of a command is a usage error pointing at that command help', async () => {
    const run = await runCli(['inject', '--bogus']);
    assert.equal(run.code, 2);
    assert.equal(run.stdout, '');
    assert.equal(run.stderr, "podmcp inject: Unknown option '--bogus'\nRun 'podmcp inject --help' for usage.\n");
  });
});
