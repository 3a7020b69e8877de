import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { isValidSlackRequest } from '@slack/bolt';
import {
  assertNormalizeError,
  assertVerify,
  describe,
  fixture,
  makeRecord,
  makeRequest,
  makeSource,
  nowSeconds,
  test,
} from '../testing.ts';
import { provider, validateOptions } from './index.ts';

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const OLD = 'old-signing-secret';
const FORM = 'application/x-www-form-urlencoded';
const event = fixture('slack', 'event_callback.app_mention.json').toString('utf8');
const command = fixture('slack', 'slash_command.txt').toString('utf8');
const blockActions = fixture('slack', 'block_actions.json').toString('utf8');

// @slack/bolt exports only verifiers (verifySlackRequest / isValidSlackRequest), no signer: we sign
// with node:crypto and have Bolt confirm every valid signature we produce.
function sign(body: string, ts = nowSeconds(), secret = SECRET): Record<string, string> {
  const sig = `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;
  assert.equal(
    isValidSlackRequest({
      signingSecret: secret,
      body,
      headers: { 'x-slack-signature': sig, 'x-slack-request-timestamp': ts },
      nowMilliseconds: ts * 1000,
    }),
    true,
    'bolt accepts the test signature',
  );
  return { 'x-slack-signature': sig, 'x-slack-request-timestamp': String(ts) };
}

describe('slack verify', () => {
  const cases: {
    name: string;
    headers: () => Record<string, string | undefined>;
    body?: string;
    secrets?: string[];
    want: true | string;
  }[] = [
    { name: 'valid (Bolt-confirmed)', headers: () => sign(event), want: true },
    { name: 'tampered body', headers: () => sign(event), body: event.replace('pearl', 'perl'), want: 'bad_signature' },
    { name: 'wrong secret', headers: () => sign(event, nowSeconds(), 'other'), want: 'bad_signature' },
    {
      name: 'missing signature',
      headers: () => ({ 'x-slack-request-timestamp': String(nowSeconds()) }),
      want: 'missing_signature',
    },
    {
      name: 'missing timestamp',
      headers: () => ({ 'x-slack-signature': sign(event)['x-slack-signature'] }),
      want: 'missing_signature',
    },
    { name: 'stale timestamp (> 5 min)', headers: () => sign(event, nowSeconds() - 301), want: 'stale_timestamp' },
    {
      name: 'future timestamp (> 5 min; Bolt would accept it)',
      headers: () => sign(event, nowSeconds() + 301),
      want: 'future_timestamp',
    },
    {
      name: 'v1= prefix',
      headers: () => ({ ...sign(event), 'x-slack-signature': 'v1=abcd' }),
      want: 'malformed_signature',
    },
    {
      name: 'rotated: old secret accepted',
      headers: () => sign(event, nowSeconds(), OLD),
      secrets: [SECRET, OLD],
      want: true,
    },
    { name: 'slash command form body', headers: () => sign(command), body: command, want: true },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const req = makeRequest({ headers: c.headers(), body: c.body ?? event });
      assertVerify(provider.verify(req, makeSource('slack', c.secrets ?? [SECRET])), c.want);
    });
  }
});

describe('slack handshake and replies', () => {
  const source = makeSource('slack', [SECRET]);
  test('ssl_check=1 is answered unsigned, 200', () => {
    const req = makeRequest({ headers: { 'content-type': FORM }, body: 'ssl_check=1&token=abc' });
    assert.deepEqual(provider.handshake?.(req, source), { status: 200 });
  });
  test('a slash command is not a handshake', () => {
    const req = makeRequest({ headers: { 'content-type': FORM }, body: `${command}&ssl_check=1` });
    assert.equal(provider.handshake?.(req, source), undefined);
  });
  test('JSON is never a handshake', () => {
    assert.equal(
      provider.handshake?.(
        makeRequest({ headers: { 'content-type': 'application/json' }, body: '{"ssl_check":1}' }),
        source,
      ),
      undefined,
    );
  });
  test('url_verification: challenge echoed, nothing enqueued', () => {
    const body = fixture('slack', 'url_verification.json');
    const out = provider.interpret(makeRequest({ headers: { 'content-type': 'application/json' }, body }), source);
    assert.equal(out.items.length, 0);
    assert.deepEqual(out.reply, {
      status: 200,
      contentType: 'application/json',
      body: '{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}',
    });
  });
  test('event_callback: enqueued, default reply', () => {
    const out = provider.interpret(
      makeRequest({ headers: { 'content-type': 'application/json' }, body: event }),
      source,
    );
    assert.equal(out.reply, undefined);
    assert.deepEqual(out.items[0]?.extracted, {
      deliveryId: 'Ev123ABC456',
      eventType: 'app_mention',
      resourceType: 'channel',
      resourceId: 'C123ABC456',
    });
  });
  test('slash command: enqueued, empty 200', () => {
    const out = provider.interpret(makeRequest({ headers: { 'content-type': FORM }, body: command }), source);
    assert.deepEqual(out.reply, { status: 200 });
    assert.deepEqual(out.items[0]?.extracted, {
      deliveryId: '13345224609.738474920.8088930838d88f008e0',
      eventType: 'slash_command',
      resourceType: 'channel',
      resourceId: 'C2147483705',
    });
  });
  test('slash command: configured ack text', () => {
    const out = provider.interpret(
      makeRequest({ headers: { 'content-type': FORM }, body: command }),
      makeSource('slack', [SECRET], { ackText: 'Working on it…' }),
    );
    assert.deepEqual(out.reply, { status: 200, contentType: 'text/plain; charset=utf-8', body: 'Working on it…' });
  });
  test('interactivity: enqueued, empty 200', () => {
    const body = `payload=${encodeURIComponent(blockActions)}`;
    const out = provider.interpret(makeRequest({ headers: { 'content-type': FORM }, body }), source);
    assert.deepEqual(out.reply, { status: 200 });
    assert.equal(out.items[0]?.extracted.deliveryId, '12321423423.333649436676.d8c1bb837935619ccad0f624c448ffb3');
  });
  test('validateOptions', () => {
    assert.deepEqual(validateOptions({ ackText: 'ok' }), []);
    assert.equal(validateOptions({ ackText: 1 }).length, 1);
  });
});

describe('slack normalize', () => {
  const source = makeSource('slack', [SECRET]);
  test('Events API app_mention', () => {
    const n = provider.normalize(makeRecord('slack', event), source);
    assert.equal(n.dedupeKey, 'Ev123ABC456');
    assert.equal(n.eventType, 'app_mention');
    assert.deepEqual([n.resourceType, n.resourceId], ['channel', 'C123ABC456']);
    assert.equal(n.occurredAt, 1515449522000);
    assert.deepEqual(n.ordering, { kind: 'NONE', value: null, statusRank: null });
  });
  test('Events API wrapper doc example: no channel → team', () => {
    const n = provider.normalize(makeRecord('slack', fixture('slack', 'event_wrapper.json')), source);
    assert.deepEqual(
      [n.eventType, n.resourceType, n.resourceId, n.dedupeKey],
      ['name_of_event', 'team', 'TXXXXXXXX', 'Ev08MFMKH6'],
    );
  });
  test('slash command: form → JSON payload, receivedAt', () => {
    const rec = makeRecord('slack', command, { contentType: FORM });
    const n = provider.normalize(rec, source);
    assert.equal(n.dedupeKey, '13345224609.738474920.8088930838d88f008e0');
    assert.equal(n.occurredAt, rec.receivedAt.getTime());
    assert.equal(JSON.parse(n.payload).command, '/weather');
  });
  test('block_actions', () => {
    const n = provider.normalize(
      makeRecord('slack', `payload=${encodeURIComponent(blockActions)}`, { contentType: FORM }),
      source,
    );
    assert.equal(n.eventType, 'block_actions');
    assert.equal(n.resourceId, 'CBR2V3XEX');
    assert.equal(n.occurredAt, 1548426417840.18);
    assert.equal(n.payload, blockActions);
  });
  test('view_closed without trigger_id: type|view.id|hash', () => {
    const p = JSON.stringify({ type: 'view_closed', team: { id: 'T1' }, view: { id: 'V1', hash: 'h1' } });
    const n = provider.normalize(
      makeRecord('slack', `payload=${encodeURIComponent(p)}`, { contentType: FORM }),
      source,
    );
    assert.equal(n.dedupeKey, 'view_closed|V1|h1');
  });
  const broken: {
    name: string;
    body: string;
    ct?: string;
    reason: 'unparseable' | 'missing_field' | 'unexpected_payload';
  }[] = [
    { name: 'not JSON', body: '{x', reason: 'unparseable' },
    {
      name: 'url_verification reaching the validator',
      body: fixture('slack', 'url_verification.json').toString(),
      reason: 'unexpected_payload',
    },
    {
      name: 'event_callback without event_id',
      body: '{"type":"event_callback","team_id":"T","event":{"type":"message"},"event_time":1}',
      reason: 'missing_field',
    },
    {
      name: 'event_callback without event',
      body: '{"type":"event_callback","team_id":"T","event_id":"Ev1","event_time":1}',
      reason: 'missing_field',
    },
    {
      name: 'slash command without trigger_id',
      body: 'command=/x&team_id=T1&channel_id=C1',
      ct: FORM,
      reason: 'missing_field',
    },
    { name: 'interactivity payload not JSON', body: 'payload=%7Bnope', ct: FORM, reason: 'unparseable' },
    { name: 'unknown form body', body: 'a=b', ct: FORM, reason: 'unexpected_payload' },
  ];
  for (const c of broken) {
    test(`broken: ${c.name}`, () =>
      assertNormalizeError(
        () => provider.normalize(makeRecord('slack', c.body, { contentType: c.ct ?? 'application/json' }), source),
        c.reason,
      ));
  }
});
