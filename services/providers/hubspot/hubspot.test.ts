import assert from 'node:assert/strict';
import { Signature } from '@hubspot/api-client';
import {
  assertNormalizeError,
  assertVerify,
  describe,
  fixture,
  makeRecord,
  makeRequest,
  makeSource,
  test,
} from '../testing.ts';
import { provider, validateOptions } from './index.ts';

const SECRET = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy';
const OLD = 'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx';
const URL_ = 'https://hooks.example.com/webhooks/hubspot-1?portal=33';
const body = fixture('hubspot', 'batch.json').toString('utf8');

function v3(opts: { ts?: number; secret?: string; payload?: string; url?: string } = {}): Record<string, string> {
  const timestamp = opts.ts ?? Date.now();
  const signature = Signature.getSignature('POST', 'v3', {
    signature: '',
    clientSecret: opts.secret ?? SECRET,
    requestBody: opts.payload ?? body,
    url: opts.url ?? URL_,
    timestamp,
  });
  return { 'x-hubspot-signature-v3': signature, 'x-hubspot-request-timestamp': String(timestamp) };
}

function legacy(version: 'v1' | 'v2', secret = SECRET): Record<string, string> {
  const signature = Signature.getSignature('POST', version, {
    signature: '',
    clientSecret: secret,
    requestBody: body,
    url: URL_,
  });
  return { 'x-hubspot-signature': signature, 'x-hubspot-signature-version': version };
}

describe('hubspot verify', () => {
  const all = { hubspotSignatureVersions: ['v1', 'v2', 'v3'] };
  const cases: {
    name: string;
    headers: Record<string, string | undefined>;
    body?: string;
    secrets?: string[];
    options?: Record<string, unknown>;
    want: true | string;
  }[] = [
    { name: 'v3 valid (oracle-signed)', headers: v3(), want: true },
    { name: 'v3 tampered body', headers: v3(), body: body.replace('subscriber', 'customer'), want: 'bad_signature' },
    { name: 'v3 wrong secret', headers: v3({ secret: 'nope' }), want: 'bad_signature' },
    { name: 'v3 signed for another URL', headers: v3({ url: 'https://evil.example.com/x' }), want: 'bad_signature' },
    {
      name: 'v3 missing timestamp',
      headers: { 'x-hubspot-signature-v3': v3()['x-hubspot-signature-v3'] },
      want: 'missing_signature',
    },
    { name: 'v3 stale (> 5 min)', headers: v3({ ts: Date.now() - 301_000 }), want: 'stale_timestamp' },
    {
      name: 'v3 future (> 5 min; the SDK would accept it)',
      headers: v3({ ts: Date.now() + 301_000 }),
      want: 'future_timestamp',
    },
    { name: 'v3 rotated: old secret accepted', headers: v3({ secret: OLD }), secrets: [SECRET, OLD], want: true },
    { name: 'no signature at all', headers: {}, want: 'missing_signature' },
    { name: 'v1 refused by default (v3 only)', headers: legacy('v1'), want: 'unsupported' },
    { name: 'v2 refused by default (v3 only)', headers: legacy('v2'), want: 'unsupported' },
    { name: 'v1 accepted when enabled (oracle)', headers: legacy('v1'), options: all, want: true },
    { name: 'v2 accepted when enabled (oracle)', headers: legacy('v2'), options: all, want: true },
    {
      name: 'v2 tampered body',
      headers: legacy('v2'),
      body: body.replace('33', '34'),
      options: all,
      want: 'bad_signature',
    },
    { name: 'v1 rotated old secret', headers: legacy('v1', OLD), secrets: [SECRET, OLD], options: all, want: true },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const req = makeRequest({ url: URL_, headers: c.headers, body: c.body ?? body });
      assertVerify(provider.verify(req, makeSource('hubspot', c.secrets ?? [SECRET], c.options ?? {})), c.want);
    });
  }
  test('oracle isValid agrees on a v3 request we accept', () => {
    const h = v3();
    assert.equal(
      Signature.isValid({
        signature: h['x-hubspot-signature-v3']!,
        clientSecret: SECRET,
        requestBody: body,
        url: URL_,
        method: 'POST',
        signatureVersion: 'v3',
        timestamp: Number(h['x-hubspot-request-timestamp']),
      }),
      true,
    );
  });
  test('validateOptions', () => {
    assert.deepEqual(validateOptions({}), []);
    assert.deepEqual(validateOptions({ hubspotSignatureVersions: ['v3', 'v2'] }), []);
    assert.equal(validateOptions({ hubspotSignatureVersions: ['v4'] }).length, 1);
    assert.equal(validateOptions({ hubspotSignatureVersions: [] }).length, 1);
  });
});

describe('hubspot interpret (batch split)', () => {
  test('one item per element, own deliveryId and batchIndex', () => {
    const out = provider.interpret(makeRequest({ url: URL_, body }), makeSource('hubspot', [SECRET]));
    assert.equal(out.items.length, 2);
    assert.equal(out.reply, undefined);
    assert.deepEqual(
      out.items.map((i) => [
        i.batchIndex,
        i.extracted.deliveryId,
        i.extracted.eventType,
        i.extracted.resourceType,
        i.extracted.resourceId,
      ]),
      [
        [0, '33|25|3816279340', 'contact.propertyChange', 'contact', '1246965'],
        [1, '33|22|3816279480', 'contact.creation', 'contact', '1246978'],
      ],
    );
    assert.equal(JSON.parse(out.items[0]!.body.toString()).propertyValue, 'subscriber');
  });
  test('each item normalizes on its own', () => {
    const out = provider.interpret(makeRequest({ url: URL_, body }), makeSource('hubspot', [SECRET]));
    const n = provider.normalize(
      makeRecord('hubspot', out.items[1]!.body, { batchIndex: 1 }),
      makeSource('hubspot', [SECRET]),
    );
    assert.equal(n.dedupeKey, '33|22|3816279480');
    assert.equal(n.eventType, 'contact.creation');
    assert.equal(n.occurredAt, 1462216307945);
    assert.deepEqual(n.ordering, { kind: 'VERSION', value: 1462216307945, statusRank: null });
  });
});

describe('hubspot normalize', () => {
  const source = makeSource('hubspot', [SECRET]);
  test('captured contact.creation event', () => {
    const ev =
      '{"eventId":567890123,"subscriptionId":234567,"portalId":12345678,"appId":987654,"occurredAt":1708986598741,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":65059681032,"changeFlag":"CREATED","changeSource":"CRM_UI","sourceId":"userId:45678"}';
    const n = provider.normalize(makeRecord('hubspot', ev), source);
    assert.deepEqual(
      [n.dedupeKey, n.resourceType, n.resourceId, n.occurredAt],
      ['12345678|234567|567890123', 'contact', '65059681032', 1708986598741],
    );
  });
  test('new-platform object event uses objectTypeId', () => {
    const ev =
      '{"eventId":1,"subscriptionId":2,"portalId":3,"occurredAt":1700000000000,"subscriptionType":"object.creation","objectTypeId":"0-1","objectId":9}';
    const n = provider.normalize(makeRecord('hubspot', ev), source);
    assert.deepEqual([n.resourceType, n.resourceId], ['0-1', '9']);
  });
  const broken: {
    name: string;
    body: string;
    reason: 'unparseable' | 'missing_field' | 'invalid_field' | 'unexpected_payload';
  }[] = [
    { name: 'not JSON', body: '[{', reason: 'unparseable' },
    { name: 'whole array reaching normalize', body, reason: 'unexpected_payload' },
    {
      name: 'no eventId',
      body: '{"subscriptionType":"contact.creation","objectId":1,"occurredAt":1}',
      reason: 'missing_field',
    },
    { name: 'no subscriptionType', body: '{"eventId":1,"objectId":1,"occurredAt":1}', reason: 'missing_field' },
    {
      name: 'no objectId',
      body: '{"eventId":1,"subscriptionType":"contact.creation","occurredAt":1}',
      reason: 'missing_field',
    },
    {
      name: 'no occurredAt',
      body: '{"eventId":1,"subscriptionType":"contact.creation","objectId":1}',
      reason: 'missing_field',
    },
    {
      name: 'occurredAt as text',
      body: '{"eventId":1,"subscriptionType":"contact.creation","objectId":1,"occurredAt":"yesterday"}',
      reason: 'invalid_field',
    },
  ];
  for (const c of broken) {
    test(`broken: ${c.name}`, () =>
      assertNormalizeError(() => provider.normalize(makeRecord('hubspot', c.body), source), c.reason));
  }
});
