import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { actionEventBody, EVENT_REASONS, eventMessage, REPORTING_COMPONENT } from '../src/actions/event.ts';
import { createRedactor } from '../src/safety/redact.ts';

const source = {
  namespace: 'shop',
  instance: 'web-5d8f9c-abcde',
  callerId: 'alice@example.com',
  callerReason: 'pods stuck after the config change',
  now: new Date('2025-06-01T12:00:00Z'),
  suffix: '0123456789abcdef',
};

describe('eventMessage', () => {
  test('says what happened, for which caller, and why', () => {
    assert.equal(
      eventMessage('Scaled from 2 to 5 replicas', 'alice@example.com', 'traffic spike on checkout'),
      'Scaled from 2 to 5 replicas by podmcp for caller alice@example.com. Reason: traffic spike on checkout',
    );
  });

  test('the reason is cleaned: control characters removed, whitespace collapsed', () => {
    const message = eventMessage('Pod deleted', 'e2e', 'line one\n\tline\u001b[31m two\u202e');
    assert.match(message, /Reason: line one line two$/);
  });

  test('credentials pasted into the reason do not reach the Event', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.c2lnbmF0dXJlc2lnbmF0dXJl';
    const message = eventMessage('Pod deleted', 'e2e', `retry with password=hunter22 and token ${jwt}`);
    assert.ok(!message.includes('hunter22'));
    assert.ok(!message.includes(jwt));
    assert.match(message, /\[REDACTED\]/);
  });

  test('a long reason is clipped, and the whole message stays within the Event limit', () => {
    const message = eventMessage('Restarted', 'e2e', 'x'.repeat(5_000));
    assert.ok(message.endsWith('…'));
    assert.ok(message.length < 400);
    assert.ok(eventMessage('y'.repeat(2_000), 'e2e', 'because').length <= 1024);
  });
});

describe('actionEventBody', () => {
  test('a Normal core/v1 Event on the changed object, reported by the sidecar', () => {
    const body = actionEventBody(
      {
        object: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'uid-web' },
        reason: EVENT_REASONS.restart,
        action: 'Restart',
        summary: 'Rolling restart requested',
      },
      source,
    );
    assert.deepEqual(body.metadata, { name: 'web.0123456789abcdef', namespace: 'shop' });
    assert.deepEqual(body.involvedObject, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'web',
      uid: 'uid-web',
      namespace: 'shop',
    });
    assert.equal(body.reason, 'PodmcpRestart');
    assert.equal(body.action, 'Restart');
    assert.equal(body.type, 'Normal');
    assert.equal(body.reportingComponent, REPORTING_COMPONENT);
    assert.equal(body.reportingComponent, 'podmcp-sidecar');
    assert.equal(body.reportingInstance, 'web-5d8f9c-abcde');
    assert.equal(body.source?.component, 'podmcp-sidecar');
    assert.equal(body.count, 1);
    assert.equal(body.firstTimestamp, source.now);
    assert.match(body.message ?? '', /caller alice@example.com\. Reason: pods stuck after the config change$/);
  });

  test('the reasons of the four actions', () => {
    assert.deepEqual(EVENT_REASONS, {
      restart: 'PodmcpRestart',
      scale: 'PodmcpScale',
      delete: 'PodmcpDelete',
      rollback: 'PodmcpRollback',
    });
  });

  test('a long object name still gives a valid Event name', () => {
    const body = actionEventBody(
      {
        object: { apiVersion: 'v1', kind: 'Pod', name: 'p'.repeat(253) },
        reason: EVENT_REASONS.delete,
        action: 'Delete',
        summary: 'Pod deleted',
      },
      source,
    );
    assert.equal(body.metadata?.name?.length, 253);
  });
});

test("an Event message goes through the sidecar's own redaction when it is given (it knows the sidecar's token)", () => {
  const ownToken = 'opaque-sidecar-credential-1234';
  const redact = createRedactor(() => [ownToken]).text;
  const message = eventMessage('Restarted', 'stdio', `pasting ${ownToken} by mistake`, redact);
  assert.ok(!message.includes(ownToken));
  assert.match(message, /\[REDACTED\]/);
});
