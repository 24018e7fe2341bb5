import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { FIXTURES, runCli } from './helpers.ts';

const fixture = (name: string) => join(FIXTURES, name);
const read = (name: string) => readFileSync(fixture(name), 'utf8');

interface Container {
  name: string;
  image?: string;
  restartPolicy?: string;
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
}
interface Workload {
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  spec: { template: { metadata: { annotations?: Record<string, string> }; spec: PodSpec } };
}

function documents(text: string): Workload[] {
  return parseAllDocuments(text).map((document) => document.toJS() as Workload);
}

function sidecarOf(spec: PodSpec): { native: Container | undefined; regular: Container | undefined } {
  return {
    native: spec.initContainers?.find((container) => container.name === 'podmcp'),
    regular: spec.containers.find((container) => container.name === 'podmcp'),
  };
}

const scratch = mkdtempSync(join(tmpdir(), 'podmcp-inject-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('podmcp inject: YAML out', () => {
  test('reads stdin when no -f is given and injects a native sidecar by default', async () => {
    const run = await runCli(['inject'], read('web.yaml'));
    assert.equal(run.code, 0);
    assert.equal(run.stderr, '');
    const [deployment] = documents(run.stdout);
    assert.ok(deployment);
    const { native, regular } = sidecarOf(deployment.spec.template.spec);
    assert.equal(native?.restartPolicy, 'Always');
    assert.equal(regular, undefined);
    assert.ok(deployment.spec.template.metadata.annotations?.['podmcp.dev/status']);
  });

  test('-f FILE and -f - (stdin) give the same output', async () => {
    const fromFile = await runCli(['inject', '-f', fixture('web.yaml')]);
    const fromDash = await runCli(['inject', '--filename', '-'], read('web.yaml'));
    assert.equal(fromFile.code, 0);
    assert.equal(fromFile.stdout, fromDash.stdout);
  });

  test('multi-document input: the ConfigMap and the CronJob that did not opt in pass through untouched', async () => {
    const input = read('mixed.yaml');
    const run = await runCli(['inject', '-f', fixture('mixed.yaml')]);
    assert.equal(run.code, 0);
    const inputDocuments = input.split('---\n');
    const outputDocuments = run.stdout.split('---\n');
    assert.equal(outputDocuments.length, 3);
    // Byte for byte, comments and quoting included.
    assert.equal(outputDocuments[0], inputDocuments[0]);
    assert.equal(outputDocuments[2], inputDocuments[2]);
    const [, deployment] = documents(run.stdout);
    assert.equal(deployment?.kind, 'Deployment');
    assert.ok(deployment && sidecarOf(deployment.spec.template.spec).native);
  });

  test('running inject on its own output changes nothing', async () => {
    for (const name of ['web.yaml', 'mixed.yaml', 'typo.yaml']) {
      const first = await runCli(['inject', '-f', fixture(name)]);
      const second = await runCli(['inject'], first.stdout);
      assert.equal(first.code, 0, name);
      assert.equal(second.code, 0, name);
      assert.equal(second.stdout, first.stdout, name);
    }
  });

  test('separators are normalised: empty documents and `...` markers do not pile up', async () => {
    const input = `---\n# nothing here\n---\n${read('web.yaml')}...\n---\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n`;
    const first = await runCli(['inject'], input);
    assert.equal(first.code, 0);
    assert.equal(first.stdout.match(/^---$/gm)?.length, 1);
    assert.equal((await runCli(['inject'], first.stdout)).stdout, first.stdout);
  });

  test('a directory stands for its .yaml and .yml files, sorted; other files are ignored', async () => {
    const run = await runCli(['inject', '-f', fixture('dir')]);
    assert.equal(run.code, 0);
    assert.deepEqual(
      documents(run.stdout).map((document) => `${document.kind}/${document.metadata.name}`),
      ['Pod/first', 'Deployment/second'],
    );
  });

  test('-f is repeatable and keeps the order given', async () => {
    const run = await runCli(['inject', '-f', fixture('typo.yaml'), '-f', fixture('web.yaml')]);
    assert.deepEqual(
      documents(run.stdout).map((document) => document.metadata.name),
      ['typo', 'web'],
    );
  });

  test('an unknown podmcp.dev/ key is a warning on stderr with a suggestion; the YAML still goes to stdout', async () => {
    const run = await runCli(['inject', '-f', fixture('typo.yaml')]);
    assert.equal(run.code, 0);
    assert.equal(
      run.stderr,
      `warning: ${fixture('typo.yaml')}: Pod/typo: unknown annotation podmcp.dev/mdoe is ignored; did you mean podmcp.dev/mode?\n`,
    );
    assert.ok(!run.stdout.includes('warning'));
    assert.match(run.stdout, /name: podmcp\n/);
  });

  test('a denied workload fails the run with the reason on stderr and nothing on stdout', async () => {
    const run = await runCli(['inject', '-f', fixture('web.yaml'), '-f', fixture('bogus-mode.yaml')]);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '', 'no half-injected output');
    assert.equal(
      run.stderr,
      [
        'podmcp inject: 1 workload would be denied by the webhook, so no YAML was written:',
        `  ${fixture('bogus-mode.yaml')}: Deployment/bogus (invalid-annotation): podmcp.dev/mode: "bogus" is not valid; allowed: read-only, read-write`,
        '',
      ].join('\n'),
    );
  });

  test('--native-sidecars=false injects a regular container; a pod that requires native sidecars is denied', async () => {
    const run = await runCli(['inject', '--native-sidecars=false'], read('web.yaml'));
    assert.equal(run.code, 0);
    const [deployment] = documents(run.stdout);
    assert.ok(deployment);
    const { native, regular } = sidecarOf(deployment.spec.template.spec);
    assert.equal(native, undefined);
    assert.ok(regular);

    const requiresNative = read('web.yaml').replace(
      'podmcp.dev/inject: "true"',
      'podmcp.dev/inject: "true"\n        podmcp.dev/native-sidecar: "true"',
    );
    const denied = await runCli(['inject', '--native-sidecars', 'false', '--check'], requiresNative);
    assert.equal(denied.code, 1);
    assert.match(denied.stdout, /Deployment\/web: deny \(native-sidecar-unsupported\)/);
  });

  test('--config applies cluster defaults from an injector.yaml', async () => {
    const run = await runCli(['inject', '--config', fixture('injector.yaml'), '-f', fixture('web.yaml')]);
    assert.equal(run.code, 0, run.stderr);
    const [deployment] = documents(run.stdout);
    assert.ok(deployment);
    const { native, regular } = sidecarOf(deployment.spec.template.spec);
    assert.equal(native, undefined, 'nativeSidecars: never');
    assert.equal(regular?.image, 'registry.example.com/podmcp/podmcp:0.1.0');
  });
});

describe('podmcp inject --check', () => {
  test('a valid workload: one line with kind/name, decision and reason; exit 0; no YAML', async () => {
    const run = await runCli(['inject', '--check', '-f', fixture('web.yaml')]);
    assert.equal(run.code, 0);
    assert.equal(run.stderr, '');
    assert.equal(
      run.stdout,
      [
        `${fixture('web.yaml')}: Deployment/web: inject (injected)`,
        '  injecting ghcr.io/podmcp/podmcp:0.1.0 as a native sidecar in read-only mode',
        '',
        '1 workload: 1 to inject, 0 skipped, 0 denied; 0 warnings',
        '',
      ].join('\n'),
    );
  });

  test('an invalid annotation: deny with the key, the bad value and the allowed values; exit 1', async () => {
    const run = await runCli(['inject', '--check', '-f', fixture('bogus-mode.yaml'), '-f', fixture('mixed.yaml')]);
    assert.equal(run.code, 1);
    assert.equal(
      run.stdout,
      [
        `${fixture('bogus-mode.yaml')}: Deployment/bogus: deny (invalid-annotation)`,
        '  error: podmcp.dev/mode: "bogus" is not valid; allowed: read-only, read-write',
        `${fixture('mixed.yaml')}: Deployment/web: inject (injected)`,
        '  injecting ghcr.io/podmcp/podmcp:0.1.0 as a native sidecar in read-only mode',
        `${fixture('mixed.yaml')}: CronJob/report: skip (not-opted-in)`,
        '  the pod has no podmcp.dev/inject annotation',
        '',
        '3 workloads: 1 to inject, 1 skipped, 1 denied; 0 warnings',
        '',
      ].join('\n'),
    );
  });

  test('warnings are listed under their workload and do not fail the check', async () => {
    const run = await runCli(['inject', '--check'], read('typo.yaml'));
    assert.equal(run.code, 0);
    assert.match(
      run.stdout,
      /^<stdin>: Pod\/typo: inject \(injected\)\n.*\n {2}warning: unknown annotation podmcp\.dev\/mdoe is ignored; did you mean podmcp\.dev\/mode\?\n/,
    );
    assert.match(run.stdout, /1 warning\n$/);
  });

  test('-o json: a machine-readable report with the same exit code', async () => {
    const run = await runCli(['inject', '--check', '-o', 'json', '-f', fixture('bogus-mode.yaml')]);
    assert.equal(run.code, 1);
    assert.deepEqual(JSON.parse(run.stdout), {
      ok: false,
      summary: { workloads: 1, inject: 0, skip: 0, deny: 1, warnings: 0 },
      objects: [
        {
          source: fixture('bogus-mode.yaml'),
          object: 'Deployment/bogus',
          action: 'deny',
          reason: 'invalid-annotation',
          messages: ['podmcp.dev/mode: "bogus" is not valid; allowed: read-only, read-write'],
          warnings: [],
        },
      ],
    });
    const valid = await runCli(['inject', '--check', '--output=json'], read('web.yaml'));
    assert.equal(valid.code, 0);
    assert.equal(JSON.parse(valid.stdout).ok, true);
  });

  test('input without workloads says so', async () => {
    const run = await runCli(['inject', '--check'], 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n');
    assert.equal(run.code, 0);
    assert.match(run.stdout, /^no workloads found/);
  });
});

describe('podmcp inject: input errors', () => {
  test('a YAML syntax error names the file, line and column; nothing is printed to stdout', async () => {
    const broken = join(scratch, 'broken.yaml');
    writeFileSync(
      broken,
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\nkind: Pod\nmetadata: { name: [x }\n',
    );
    const run = await runCli(['inject', '-f', fixture('web.yaml'), '-f', broken]);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    assert.match(
      run.stderr,
      new RegExp(`^podmcp inject: ${broken.replaceAll('.', '\\.')}:7:\\d+: not valid YAML: .+\n$`),
    );

    const fromStdin = await runCli(['inject'], 'a: b\n  c: d\n');
    assert.equal(fromStdin.code, 1);
    assert.match(fromStdin.stderr, /^podmcp inject: <stdin>:1:4: not valid YAML: Nested mappings are not allowed/);
    const checked = await runCli(['inject', '--check', '-f', broken]);
    assert.equal(checked.code, 1);
    assert.equal(checked.stdout, '');
  });

  test('a missing file is named, exit 1', async () => {
    const missing = join(scratch, 'missing.yaml');
    const run = await runCli(['inject', '-f', missing]);
    assert.deepEqual(run, {
      code: 1,
      stdout: '',
      stderr: `podmcp inject: cannot read ${missing}: no such file or directory\n`,
    });
  });

  test('a directory without manifests is an error', async () => {
    const empty = join(scratch, 'empty');
    mkdirSync(empty);
    writeFileSync(join(empty, 'notes.txt'), 'not a manifest\n');
    const run = await runCli(['inject', '-f', empty]);
    assert.equal(run.code, 1);
    assert.equal(run.stderr, `podmcp inject: ${empty}: the directory has no .yaml or .yml files\n`);
  });

  test('an invalid --config names the file and every problem', async () => {
    const config = join(scratch, 'injector.yaml');
    writeFileSync(config, 'sidecar:\n  image: x\n  port: 80\nnativeSidecars: sometimes\n');
    const run = await runCli(['inject', '--config', config], read('web.yaml'));
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, new RegExp(`^podmcp inject: ${config.replaceAll('.', '\\.')} is invalid:`));
    assert.match(run.stderr, /sidecar\.port: /);
    assert.match(run.stderr, /nativeSidecars: /);
  });

  test('usage errors exit 2 before any input is read', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['inject', '--native-sidecars=maybe'], /--native-sidecars must be one of true, false, got "maybe"/],
      [['inject', '-o', 'json'], /-o\/--output applies to --check/],
      [['inject', '--check', '-o', 'yaml'], /--output must be one of text, json/],
      [['inject', '-f', '-', '-f', '-'], /can be given only once/],
      [['inject', 'deployment.yaml'], /Unexpected argument 'deployment\.yaml'/],
      [['inject', '-f'], /argument missing/],
    ];
    for (const [argv, message] of cases) {
      const run = await runCli(argv, read('web.yaml'));
      assert.equal(run.code, 2, argv.join(' '));
      assert.equal(run.stdout, '');
      assert.match(run.stderr, message);
      assert.match(run.stderr, /Run 'podmcp inject --help' for usage\.\n$/);
    }
  });

  test('a terminal on stdin and no -f: a usage error instead of waiting forever', async () => {
    const run = await runCli(['inject'], '', { tty: true });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /no input: give -f FILE, or pipe manifests on stdin/);
  });
});

test('offline injection and a YAML parse agree: every output document is valid YAML', async () => {
  const run = await runCli(['inject', '-f', fixture('mixed.yaml'), '-f', fixture('dir')]);
  for (const document of parseAllDocuments(run.stdout)) assert.deepEqual(document.errors, []);
  assert.equal(parse(run.stdout.split('---\n')[0] ?? '').kind, 'ConfigMap');
});
