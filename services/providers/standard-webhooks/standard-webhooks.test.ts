import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
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

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const OLD = `whsec_${randomBytes(32).toString('base64')}`;
const body = fixture('standard-webhooks', 'contact.created.thin.json').toString('utf8');
const ID = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';

function headers(opts: { secret?: string; ts?: number; id?: string; payload?: string } = {}): Record<string, string> {
  const ts = opts.ts ?? nowSeconds();
  const sig = new Webhook(opts.secret ?? SECRET).sign(opts.id ?? ID, new Date(ts * 1000), opts.payload ?? body);
  return { 'webhook-id': opts.id ?? ID, 'webhook-timestamp': String(ts), 'webhook-signature': sig };
}

describe('standard-webhooks verify', () => {
  const source = makeSource('standard-webhooks', [SECRET]);
  const h = headers();
  const cases: {
    name: string;
    headers: Record<string, string | undefined>;
    body?: string;
    secrets?: string[];
    want: true | string;
  }[] = [
    { name: 'valid (oracle-signed)', headers: h, want: true },
    { name: 'tampered body', headers: h, body: body.replace('contact', 'kontact'), want: 'bad_signature' },
    { name: 'tampered id', headers: { ...h, 'webhook-id': 'msg_other' }, want: 'bad_signature' },
    { name: 'wrong secret', headers: headers({ secret: OLD }), want: 'bad_signature' },
    { name: 'missing signature header', headers: { ...h, 'webhook-signature': undefined }, want: 'missing_signature' },
    { name: 'missing id header', headers: { ...h, 'webhook-id': undefined }, want: 'missing_signature' },
    { name: 'stale timestamp', headers: headers({ ts: nowSeconds() - 400 }), want: 'stale_timestamp' },
    { name: 'future timestamp', headers: headers({ ts: nowSeconds() + 400 }), want: 'future_timestamp' },
    { name: 'rotated: old secret accepted', headers: headers({ secret: OLD }), secrets: [SECRET, OLD], want: true },
    {
      name: 'sender rotation: list of signatures, one valid',
      headers: { ...h, 'webhook-signature': `v1,${Buffer.alloc(32).toString('base64')} ${h['webhook-signature']}` },
      want: true,
    },
    { name: 'only v1a entries → unsupported', headers: { ...h, 'webhook-signature': 'v1a,AAAA' }, want: 'unsupported' },
    { name: 'garbage signature', headers: { ...h, 'webhook-signature': 'nonsense' }, want: 'malformed_signature' },
    {
      name: 'a secret with no key bytes is refused, even with a matching empty-key signature',
      headers: {
        ...h,
        'webhook-signature': `v1,${createHmac('sha256', Buffer.alloc(0))
          .update(`${ID}.${h['webhook-timestamp']}.${body}`)
          .digest('base64')}`,
      },
      secrets: ['whsec_'],
      want: 'bad_signature',
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const src = c.secrets ? makeSource('standard-webhooks', c.secrets) : source;
      assertVerify(provider.verify(makeRequest({ headers: c.headers, body: c.body ?? body }), src), c.want);
    });
  }
  test('oracle verify accepts the same request', () => {
    assert.ok(new Webhook(SECRET).verify(body, h));
  });
});

describe('standard-webhooks interpret/normalize', () => {
  const source = makeSource('standard-webhooks', [SECRET]);
  test('interpret: webhook-id is the delivery id', () => {
    const out = provider.interpret(
      makeRequest({ headers: { ...headers(), 'content-type': 'application/json' }, body }),
      source,
    );
    assert.deepEqual(out.items[0]?.extracted, {
      deliveryId: ID,
      eventType: 'contact.created',
      resourceType: 'contact',
      resourceId: '1f81eb52-5198-4599-803e-771906343485',
    });
  });
  test('normalize: spec full payload', () => {
    const rec = makeRecord('standard-webhooks', fixture('standard-webhooks', 'contact.created.json'), {
      headers: { 'webhook-id': ID },
    });
    const n = provider.normalize(rec, source);
    assert.equal(n.dedupeKey, ID);
    assert.equal(n.eventType, 'contact.created');
    assert.equal(n.resourceType, 'contact');
    assert.equal(n.resourceId, '1f81eb52-5198-4599-803e-771906343485');
    assert.equal(n.occurredAt, Date.parse('2022-11-03T20:26:10.344Z'));
    assert.deepEqual(n.ordering, { kind: 'NONE', value: null, statusRank: null });
  });
  test('normalize: no body timestamp → receivedAt', () => {
    const rec = makeRecord('standard-webhooks', '{"type":"a.b","data":{"id":"x"}}', { headers: { 'webhook-id': ID } });
    assert.equal(provider.normalize(rec, source).occurredAt, rec.receivedAt.getTime());
  });
  test('normalize: configured paths and version ordering', () => {
    const src = makeSource('standard-webhooks', [SECRET], {
      resourceIdPath: 'data.order.id',
      resourceType: 'order',
      versionPath: 'data.order.version',
    });
    const rec = makeRecord(
      'standard-webhooks',
      '{"type":"order.updated","timestamp":"2024-01-01T00:00:00Z","data":{"order":{"id":"o1","version":7}}}',
      { headers: { 'webhook-id': ID } },
    );
    const n = provider.normalize(rec, src);
    assert.equal(n.resourceId, 'o1');
    assert.deepEqual(n.ordering, { kind: 'VERSION', value: 7, statusRank: null });
  });
  test('validateOptions', () => {
    assert.deepEqual(validateOptions({}), []);
    assert.equal(validateOptions({ sequencePath: 'a', versionPath: 'b', resourceIdPath: 'c' }).length, 1);
  });
  const broken: {
    name: string;
    body: string;
    reason: 'unparseable' | 'missing_field' | 'invalid_field' | 'unexpected_payload';
  }[] = [
    { name: 'not JSON', body: 'nope', reason: 'unparseable' },
    { name: 'no type', body: '{"timestamp":"2022-11-03T20:26:10Z","data":{"id":"x"}}', reason: 'missing_field' },
    {
      name: 'no data.id',
      body: '{"type":"a.b","timestamp":"2022-11-03T20:26:10Z","data":{}}',
      reason: 'missing_field',
    },
    {
      name: 'bad timestamp',
      body: '{"type":"a.b","timestamp":"yesterday","data":{"id":"x"}}',
      reason: 'invalid_field',
    },
  ];
  for (const c of broken) {
    test(`broken: ${c.name}`, () =>
      assertNormalizeError(
        () => provider.normalize(makeRecord('standard-webhooks', c.body, { headers: { 'webhook-id': ID } }), source),
        c.reason,
      ));
  }
});
