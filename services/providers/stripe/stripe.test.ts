import assert from 'node:assert/strict';
import Stripe from 'stripe';
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
import { provider } from './index.ts';

const SECRET = 'whsec_test_current';
const OLD = 'whsec_test_old';
const body = fixture('stripe', 'payment_intent.succeeded.json').toString('utf8');

function signed(opts: { payload?: string; secret?: string; timestamp?: number } = {}): string {
  return Stripe.webhooks.generateTestHeaderString({
    payload: opts.payload ?? body,
    secret: opts.secret ?? SECRET,
    timestamp: opts.timestamp ?? nowSeconds(),
  });
}

describe('stripe verify', () => {
  const source = makeSource('stripe', [SECRET]);
  const cases: {
    name: string;
    headers: Record<string, string | undefined>;
    body?: string;
    secrets?: string[];
    want: true | string;
  }[] = [
    { name: 'valid (oracle-signed)', headers: { 'stripe-signature': signed() }, want: true },
    {
      name: 'tampered body',
      headers: { 'stripe-signature': signed() },
      body: body.replace('2000', '2001'),
      want: 'bad_signature',
    },
    { name: 'wrong secret', headers: { 'stripe-signature': signed({ secret: 'whsec_other' }) }, want: 'bad_signature' },
    { name: 'missing header', headers: {}, want: 'missing_signature' },
    { name: 'no v1 entry', headers: { 'stripe-signature': `t=${nowSeconds()}` }, want: 'malformed_signature' },
    { name: 'garbage header', headers: { 'stripe-signature': 'hello' }, want: 'malformed_signature' },
    {
      name: 'stale timestamp',
      headers: { 'stripe-signature': signed({ timestamp: nowSeconds() - 301 }) },
      want: 'stale_timestamp',
    },
    {
      name: 'future timestamp',
      headers: { 'stripe-signature': signed({ timestamp: nowSeconds() + 301 }) },
      want: 'future_timestamp',
    },
    {
      name: 'rotated: old secret still accepted',
      headers: { 'stripe-signature': signed({ secret: OLD }) },
      secrets: [SECRET, OLD],
      want: true,
    },
    {
      name: 'rotated: new secret accepted',
      headers: { 'stripe-signature': signed() },
      secrets: [OLD, SECRET],
      want: true,
    },
    {
      name: 'several v1 entries, one valid',
      headers: { 'stripe-signature': `${signed()},v1=${'0'.repeat(64)}` },
      want: true,
    },
    {
      name: 'whsec_ prefix is part of the key (not base64-decoded)',
      headers: { 'stripe-signature': signed({ secret: SECRET.slice(6) }) },
      want: 'bad_signature',
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const req = makeRequest({ headers: c.headers, body: c.body ?? body });
      const src = c.secrets ? makeSource('stripe', c.secrets) : source;
      assertVerify(provider.verify(req, src), c.want);
    });
  }

  test('oracle agrees: constructEvent accepts what we accept', () => {
    const header = signed();
    assertVerify(provider.verify(makeRequest({ headers: { 'stripe-signature': header }, body }), source), true);
    const ev = new Stripe('sk_test_x').webhooks.constructEvent(body, header, SECRET);
    assert.equal(ev.id, 'evt_3N4QNsEuwdm0l6U90mrpnapl');
  });
});

describe('stripe interpret', () => {
  test('one item with the event id and resource', () => {
    const req = makeRequest({ headers: { 'stripe-signature': signed() }, body });
    const out = provider.interpret(req, makeSource('stripe', [SECRET]));
    assert.equal(out.items.length, 1);
    assert.deepEqual(out.items[0]?.extracted, {
      deliveryId: 'evt_3N4QNsEuwdm0l6U90mrpnapl',
      eventType: 'payment_intent.succeeded',
      resourceType: 'payment_intent',
      resourceId: 'pi_3N4QNsEuwdm0l6U90BvTQ3iC',
    });
    assert.equal(out.reply, undefined);
  });
  test('unparseable body is still enqueued (DLQ later), keyed by body hash', () => {
    const out = provider.interpret(makeRequest({ body: '{nope' }), makeSource('stripe', [SECRET]));
    assert.match(out.items[0]?.extracted.deliveryId ?? '', /^sha256:[0-9a-f]{64}$/);
  });
});

describe('stripe normalize', () => {
  const source = makeSource('stripe', [SECRET]);
  test('payment_intent.succeeded (fixture)', () => {
    const n = provider.normalize(makeRecord('stripe', body), source);
    assert.equal(n.dedupeKey, 'evt_3N4QNsEuwdm0l6U90mrpnapl');
    assert.equal(n.eventType, 'payment_intent.succeeded');
    assert.equal(n.resourceType, 'payment_intent');
    assert.equal(n.resourceId, 'pi_3N4QNsEuwdm0l6U90BvTQ3iC');
    assert.equal(n.occurredAt, 1683299846000);
    assert.deepEqual(n.ordering, { kind: 'STATUS', value: 1683299846000, statusRank: 3 });
    assert.equal(n.payload, body);
  });
  test('setup_intent.created (docs example)', () => {
    const n = provider.normalize(makeRecord('stripe', fixture('stripe', 'setup_intent.created.json')), source);
    assert.equal(n.resourceType, 'setup_intent');
    assert.equal(n.resourceId, 'seti_1NG8Du2eZvKYlo2C9XMqbR0x');
    assert.deepEqual(n.ordering, { kind: 'STATUS', value: 1686089970000, statusRank: 1 });
  });
  test('a late processing ranks below succeeded', () => {
    const processing = body.replace('"status": "succeeded"', '"status": "processing"');
    const n = provider.normalize(makeRecord('stripe', processing), source);
    assert.equal(n.ordering.statusRank, 1);
  });
  test('unknown event type and object pass with rank 0', () => {
    const ev = {
      id: 'evt_1',
      type: 'new_thing.happened',
      created: 1700000000,
      data: { object: { id: 'nt_1', object: 'new_thing', status: 'weird' } },
    };
    const n = provider.normalize(makeRecord('stripe', JSON.stringify(ev)), source);
    assert.equal(n.eventType, 'new_thing.happened');
    assert.equal(n.ordering.statusRank, 0);
  });
  test('object without id (balance) → account id', () => {
    const ev = {
      id: 'evt_2',
      type: 'balance.available',
      created: 1700000000,
      account: 'acct_1',
      data: { object: { object: 'balance' } },
    };
    const n = provider.normalize(makeRecord('stripe', JSON.stringify(ev)), source);
    assert.equal(n.resourceId, 'acct_1');
  });
  const broken: {
    name: string;
    body: string;
    reason: 'unparseable' | 'missing_field' | 'invalid_field' | 'unexpected_payload';
  }[] = [
    { name: 'not JSON', body: '{"id":', reason: 'unparseable' },
    { name: 'JSON array', body: '[]', reason: 'unexpected_payload' },
    { name: 'no id', body: '{"type":"x","created":1,"data":{"object":{"object":"charge"}}}', reason: 'missing_field' },
    {
      name: 'no type',
      body: '{"id":"evt_1","created":1,"data":{"object":{"object":"charge"}}}',
      reason: 'missing_field',
    },
    {
      name: 'no created',
      body: '{"id":"evt_1","type":"x","data":{"object":{"object":"charge"}}}',
      reason: 'missing_field',
    },
    {
      name: 'created not a number',
      body: '{"id":"evt_1","type":"x","created":"soon","data":{"object":{"object":"charge"}}}',
      reason: 'invalid_field',
    },
    { name: 'no data.object', body: '{"id":"evt_1","type":"x","created":1,"data":{}}', reason: 'missing_field' },
  ];
  for (const c of broken) {
    test(`broken: ${c.name}`, () =>
      assertNormalizeError(() => provider.normalize(makeRecord('stripe', c.body), source), c.reason));
  }
});
