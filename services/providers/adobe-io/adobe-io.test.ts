import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import {
  fixture,
  FIXED_NOW,
  normalizeError,
  makeRecord,
  makeRequest,
  rsaPair,
  rsaSign,
  makeSource,
} from '../testing.ts';
import { provider, validateOptions } from './index.ts';

// Oracle: the verification half of @adobe/aio-lib-events (verifyDigitalSignatureForEvent minus the key
// download it does over the network): its own signatureUtils.verifySignature / isTargetRecipient.
const require = createRequire(import.meta.url);
const oracle = (
  require('@adobe/aio-lib-events/src/signatureUtils.js') as {
    exportFunctions: {
      verifySignature(sigs: string[], payload: string, keys: string[], clientId: string): Promise<boolean | undefined>;
      isTargetRecipient(payload: unknown, clientId: string): boolean;
    };
  }
).exportFunctions;

const AEM = fixture('adobe-io', 'aem-content-fragment-modified.json');
const COMMERCE = fixture('adobe-io', 'commerce-product-save.json');
const CLIENT = '606d4074c7ea4962aaf3bc2a5ac3b7f9';
const k1 = rsaPair();
const k2 = rsaPair();
const stranger = rsaPair();
const src = makeSource('adobe-io', [], { publicKeys: [k1.publicPem, k2.publicPem], clientId: CLIENT });
const signed = (body: Buffer | string, a = k1, b = k2): Record<string, string> => ({
  'content-type': 'application/cloudevents+json; charset=UTF-8',
  'x-adobe-digital-signature-1': rsaSign(a.privateKey, body),
  'x-adobe-digital-signature-2': rsaSign(b.privateKey, body),
  'x-adobe-public-key1-path': '/prod/keys/pub-key-lyTiz3gQe4.pem',
  'x-adobe-public-key2-path': '/prod/keys/pub-key-kruhWwu4Or.pem',
  'x-adobe-event-id': 'b555a1b1-935b-4541-b410-1915775338b5',
  'x-adobe-event-code': 'aem.sites.contentFragment.modified',
});

describe('adobe-io verify', () => {
  const cases: {
    name: string;
    headers: Record<string, string>;
    body?: Buffer | string;
    src?: typeof src;
    want: string;
  }[] = [
    { name: 'valid (both signatures)', headers: signed(AEM), want: 'ok' },
    { name: 'only signature 2 valid (either may match)', headers: signed(AEM, stranger, k2), want: 'ok' },
    {
      name: 'rotated keys: signature made with key 2 in header 1',
      headers: {
        ...signed(AEM),
        'x-adobe-digital-signature-1': rsaSign(k2.privateKey, AEM),
        'x-adobe-digital-signature-2': 'AAAA',
      },
      want: 'ok',
    },
    {
      name: 'tampered body',
      headers: signed(AEM),
      body: AEM.toString().replace('price', 'title'),
      want: 'bad_signature',
    },
    { name: 'wrong keys', headers: signed(AEM, stranger, stranger), want: 'bad_signature' },
    { name: 'missing headers', headers: { 'content-type': 'application/json' }, want: 'missing_signature' },
    { name: 'malformed signature', headers: { 'x-adobe-digital-signature-1': '%%%' }, want: 'malformed_signature' },
    {
      name: 'other recipient client id',
      headers: signed(AEM),
      src: makeSource('adobe-io', [], { publicKeys: [k1.publicPem], clientId: 'someone-else' }),
      want: 'bad_token',
    },
    {
      name: 'no clientId configured: signature alone',
      headers: signed(AEM),
      src: makeSource('adobe-io', [], { publicKeys: [k1.publicPem] }),
      want: 'ok',
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const r = provider.verify(makeRequest({ headers: c.headers, body: c.body ?? AEM }), c.src ?? src);
      assert.equal(r.ok ? 'ok' : r.reason, c.want);
    });
  }

  test('oracle agrees: @adobe/aio-lib-events verifySignature on the same bytes, keys and signatures', async () => {
    for (const [headers, body, want] of [
      [signed(AEM), AEM, true],
      [signed(AEM, stranger, k2), AEM, true],
      [signed(AEM, stranger, stranger), AEM, false],
      [signed(AEM), Buffer.from(AEM.toString().replace('price', 'title')), false],
    ] as const) {
      const ours = provider.verify(makeRequest({ headers, body }), src).ok;
      const theirs = await oracle.verifySignature(
        [headers['x-adobe-digital-signature-1'] ?? '', headers['x-adobe-digital-signature-2'] ?? ''],
        body.toString('utf8'),
        [k1.publicPem, k2.publicPem],
        CLIENT,
      );
      assert.equal(ours, want);
      assert.equal(Boolean(theirs), want);
    }
    assert.equal(oracle.isTargetRecipient(JSON.parse(AEM.toString()), CLIENT), true);
  });

  test('validateOptions: publicKeys required', () => {
    assert.deepEqual(validateOptions(src.options), []);
    assert.equal(validateOptions({}).length, 1);
    assert.equal(validateOptions({ publicKeys: ['nope'] }).length, 1);
  });
});

describe('adobe-io handshakes', () => {
  test('GET ?challenge= is echoed as JSON', () => {
    const reply = provider.handshake?.(
      makeRequest({
        method: 'GET',
        url: 'https://h.example/webhooks/src-1?challenge=8ec8d794-e0ab-42df-9017-e3dada8e84f7',
      }),
      src,
    );
    assert.deepEqual(reply, {
      status: 200,
      contentType: 'application/json',
      body: '{"challenge":"8ec8d794-e0ab-42df-9017-e3dada8e84f7"}',
    });
    assert.deepEqual(provider.extraMethods, ['GET']);
  });
  test('a challenge with markup is not reflected', () => {
    assert.equal(
      provider.handshake?.(makeRequest({ method: 'GET', url: 'https://h.example/w?challenge=%3Cscript%3E' }), src),
      undefined,
    );
  });
  test('unsigned async validation POST {validationUrl} → 200, not enqueued', () => {
    const reply = provider.handshake?.(
      makeRequest({ body: '{"validationUrl":"https://csm.adobe.io/csm/registrations/validate?id=a&challenge=b"}' }),
      src,
    );
    assert.equal(reply?.status, 200);
  });
  test('a normal event is not a handshake', () => {
    assert.equal(provider.handshake?.(makeRequest({ headers: signed(AEM), body: AEM }), src), undefined);
  });
  test('GET is refused by verify', () => {
    const r = provider.verify(makeRequest({ method: 'GET' }), src);
    assert.equal(r.ok ? 'ok' : r.reason, 'unsupported');
  });
});

describe('adobe-io interpret and normalize', () => {
  test('normalize the documented AEM event', () => {
    const n = provider.normalize(
      makeRecord('adobe-io', AEM, { headers: { 'x-adobe-event-id': 'b555a1b1-935b-4541-b410-1915775338b5' } }),
      src,
    );
    assert.equal(n.dedupeKey, 'b555a1b1-935b-4541-b410-1915775338b5');
    assert.equal(n.eventType, 'aem.sites.contentFragment.modified');
    assert.equal(n.resourceType, 'aem.sites.contentFragment');
    assert.equal(n.resourceId, '9e1e9835-64c8-42dc-9d36-fbd59e28f753');
    assert.equal(n.occurredAt, Date.parse('2025-07-24T13:53:23.994Z'));
    assert.equal(n.ordering.kind, 'NONE');
  });
  test('normalize a Commerce product save: VERSION by updated_at', () => {
    const n = provider.normalize(makeRecord('adobe-io', COMMERCE), src);
    assert.equal(n.dedupeKey, '0d3a1e2b-5c4f-4a6b-8e7d-9f0a1b2c3d4e');
    assert.equal(n.resourceType, 'catalog_product');
    assert.equal(n.resourceId, '3');
    assert.deepEqual(n.ordering, { kind: 'VERSION', value: Date.parse('2022-09-06T20:37:25Z'), statusRank: null });
  });
  test('interpret', () => {
    assert.deepEqual(
      provider.interpret(makeRequest({ headers: signed(COMMERCE), body: COMMERCE }), src).items[0]?.extracted,
      {
        deliveryId: '0d3a1e2b-5c4f-4a6b-8e7d-9f0a1b2c3d4e',
        eventType: 'com.adobe.commerce.observer.catalog_product_save_commit_after',
        resourceType: 'catalog_product',
        resourceId: '3',
      },
    );
  });
  test('event id from the header when the body has none; unknown type with no resource → its own resource', () => {
    const n = provider.normalize(
      makeRecord('adobe-io', '{"type":"custom.thing.happened","data":{}}', {
        headers: { 'x-adobe-event-id': 'e-1' },
        receivedAt: FIXED_NOW,
      }),
      src,
    );
    assert.equal(n.dedupeKey, 'e-1');
    assert.equal(n.resourceType, 'event');
    assert.equal(n.resourceId, 'e-1');
    assert.equal(n.occurredAt, FIXED_NOW.getTime());
  });
  const broken: { name: string; body: string; reason: string }[] = [
    { name: 'not JSON', body: '<xml/>', reason: 'unparseable' },
    { name: 'no event id anywhere', body: '{"type":"x.y"}', reason: 'missing_field' },
    { name: 'no type', body: '{"event_id":"e"}', reason: 'missing_field' },
    { name: 'bad time', body: '{"event_id":"e","type":"x.y","time":"noon"}', reason: 'invalid_field' },
  ];
  for (const c of broken) {
    test(`broken payload: ${c.name}`, () =>
      assert.throws(() => provider.normalize(makeRecord('adobe-io', c.body), src), normalizeError(c.reason)));
  }
});
