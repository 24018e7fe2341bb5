import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { rolloutStatus } from '../src/diagnosis/index.ts';
import { deployment } from './diagnosis-fixtures.ts';

describe('rolloutStatus', () => {
  test('a rollout in progress', () => {
    const status = rolloutStatus('Deployment', 'web', deployment({ desired: 3, updated: 1, available: 2 }));
    assert.equal(status.summary, '2/3 ready, 1 up to date, 2 available; rollout in progress');
  });

  test('rolled out but not all available is not "in progress"', () => {
    const status = rolloutStatus('Deployment', 'web', deployment({ desired: 3, available: 1 }));
    assert.equal(status.summary, '1/3 ready, 3 up to date, 1 available; rolled out, 2 unavailable');
  });

  test('a change the controller has not seen yet', () => {
    const object = deployment();
    object.metadata = { ...object.metadata, generation: 3 };
    assert.match(rolloutStatus('Deployment', 'web', object).summary, /latest change not yet seen by the controller$/);
  });
});
