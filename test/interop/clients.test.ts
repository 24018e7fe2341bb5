/**
 * The conformance bookkeeping of the interop suite on plain objects: which scenarios a requirement listing
 * names, and how a run is judged against per-scenario and per-check baseline entries.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { judge, parseRequirementList, type ScenarioResult } from './clients.ts';

const LISTING = `Required for 2026-07-28 (69 scenarios, frozen; run at the 2026-07-28 wire):

Server scenarios (test against a server):
  - server-stateless
  - tools-list

Client scenarios (test against a client):
  - tools_call

Run and reported, but never scored:
  extension (2):
    - auth/dpop [client]
    - tasks-lifecycle [server]
  pending (1):
    - http-header-validation [server]
`;

test('a requirement listing: its server scenarios are required, its [server] entries after "never scored" are not', () => {
  assert.deepEqual(parseRequirementList(LISTING), {
    required: ['server-stateless', 'tools-list'],
    notScored: ['tasks-lifecycle', 'http-header-validation'],
  });
});

function scenario(name: string, checks: Array<[string, string]>): ScenarioResult {
  const all = checks.map(([id, status]) => ({ id, status, message: `${id} said ${status}` }));
  return {
    scenario: name,
    checks: all,
    statuses: all.map((check) => check.status),
    failures: all
      .filter((check) => check.status === 'FAILURE' || check.status === 'WARNING')
      .map((check) => `${check.status} ${check.id}: ${check.message}`),
  };
}

test('judge: a per-check entry excuses that check only; other failures and warnings of the scenario count', () => {
  const results = [
    scenario('server-stateless', [
      ['discover', 'SUCCESS'],
      ['fixture-tool', 'FAILURE'],
      ['header-mismatch', 'WARNING'],
    ]),
    scenario('tools-call-image', [
      ['tools-call-image', 'FAILURE'],
      ['wire-schema-valid', 'FAILURE'],
    ]),
  ];
  const verdict = judge(results, ['server-stateless:fixture-tool', 'tools-call-image:tools-call-image']);
  assert.deepEqual(verdict.unexpected, [
    'server-stateless:header-mismatch WARNING: header-mismatch said WARNING',
    'tools-call-image:wire-schema-valid FAILURE: wire-schema-valid said FAILURE',
  ]);
  assert.deepEqual(verdict.stale, []);
});

test('judge: an entry with nothing left to excuse is stale; a named check that never ran is tolerated', () => {
  const results = [
    scenario('server-stateless', [
      ['discover', 'SUCCESS'],
      ['fixture-tool', 'SUCCESS'],
    ]),
    scenario('resources-read-text', [['wire-schema-valid', 'SUCCESS']]),
    scenario('prompts-get-simple', [['prompts-get-simple', 'SUCCESS']]),
  ];
  const verdict = judge(results, [
    'server-stateless:fixture-tool',
    'resources-read-text:resources-read-text',
    'prompts-get-simple',
  ]);
  assert.deepEqual(verdict.unexpected, []);
  assert.deepEqual(verdict.stale, ['prompts-get-simple', 'server-stateless:fixture-tool']);
});
