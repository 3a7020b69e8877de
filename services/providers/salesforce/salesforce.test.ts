import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fixture, normalizeError, makeRecord, makeRequest, makeSource } from '../testing.ts';
import { ACK_XML, provider, validateOptions } from './index.ts';
import { parseXml } from './xml.ts';

const SOAP = fixture('salesforce', 'outbound-two-accounts.xml');
const ORG18 = '00D000000000062EAA';
const src = makeSource('salesforce', [], { organizationId: ORG18 });
const withToken = makeSource('salesforce', ['sf-tok-new', 'sf-tok-old'], { organizationId: '00D000000000062' });
const XML = { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' };

describe('salesforce verify', () => {
  const cases: { name: string; url?: string; body?: Buffer | string; ip?: string; src?: typeof src; want: string }[] = [
    { name: 'matching 18-char org id', want: 'ok' },
    {
      name: 'configured 15-char org id matches the 18-char one',
      src: makeSource('salesforce', [], { organizationId: '00D000000000062' }),
      want: 'ok',
    },
    { name: 'other org', body: SOAP.toString().replace(ORG18, '00D000000000099EAA'), want: 'bad_token' },
    {
      name: 'no OrganizationId',
      body: SOAP.toString().replace(`<OrganizationId>${ORG18}</OrganizationId>`, ''),
      want: 'malformed_signature',
    },
    { name: 'not XML', body: 'hello', want: 'malformed_signature' },
    {
      name: 'DOCTYPE refused (no entity expansion)',
      body: `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>${SOAP.toString().replace(/^<\?xml[^>]*>/, '')}`,
      want: 'malformed_signature',
    },
    {
      name: 'token required when secrets exist: valid',
      url: 'https://h.example/webhooks/src-1?token=sf-tok-new',
      src: withToken,
      want: 'ok',
    },
    {
      name: 'token: rotated secret accepted',
      url: 'https://h.example/webhooks/src-1?token=sf-tok-old',
      src: withToken,
      want: 'ok',
    },
    { name: 'token: wrong', url: 'https://h.example/webhooks/src-1?token=x', src: withToken, want: 'bad_token' },
    { name: 'token: missing', src: withToken, want: 'missing_signature' },
    {
      name: 'IP allowlist rejects',
      ip: '198.51.100.5',
      src: makeSource('salesforce', [], { organizationId: ORG18, allowedIps: ['13.108.0.0/14'] }),
      want: 'ip_not_allowed',
    },
    {
      name: 'IP allowlist accepts',
      ip: '13.110.1.2',
      src: makeSource('salesforce', [], { organizationId: ORG18, allowedIps: ['13.108.0.0/14'] }),
      want: 'ok',
    },
    { name: 'no organizationId configured fails closed', src: makeSource('salesforce', [], {}), want: 'unsupported' },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const r = provider.verify(
        makeRequest({ url: c.url, headers: XML, body: c.body ?? SOAP, remoteAddress: c.ip }),
        c.src ?? src,
      );
      assert.equal(r.ok ? 'ok' : r.reason, c.want);
    });
  }
  test('validateOptions: organizationId required', () => {
    assert.deepEqual(validateOptions({ organizationId: ORG18 }), []);
    assert.equal(validateOptions({}).length, 1);
    assert.equal(validateOptions({ organizationId: 'short' }).length, 1);
  });
});

describe('salesforce interpret: split + SOAP Ack', () => {
  const { items, reply } = provider.interpret(makeRequest({ headers: XML, body: SOAP }), src);
  test('one item per Notification, keyed by Notification Id', () => {
    assert.deepEqual(
      items.map((i) => [i.batchIndex, i.extracted]),
      [
        [
          0,
          {
            deliveryId: '04l0800002nrC5BAAU',
            eventType: 'Account.outbound_message',
            resourceType: 'Account',
            resourceId: '001000000000001AAA',
          },
        ],
        [
          1,
          {
            deliveryId: '04l0800002nrC5CAAU',
            eventType: 'Account.outbound_message',
            resourceType: 'Account',
            resourceId: '001000000000002AAA',
          },
        ],
      ],
    );
  });
  test('items are JSON without the SessionId', () => {
    for (const i of items) {
      const text = i.body.toString();
      assert.ok(!text.includes('LIVESESSIONSECRET'));
      assert.equal(JSON.parse(text).organizationId, ORG18);
    }
    assert.deepEqual(JSON.parse(items[0]?.body.toString() ?? '').sObject, {
      Id: '001000000000001AAA',
      Name: 'Acme & Sons',
      AnnualRevenue: null,
      SystemModstamp: '2024-12-16T15:57:04.000Z',
    });
  });
  test('reply is the notificationsResponse Ack as text/xml', () => {
    assert.equal(reply?.status, 200);
    assert.match(reply?.contentType ?? '', /^text\/xml/);
    assert.equal(reply?.body, ACK_XML);
    const ack = parseXml(ACK_XML);
    assert.equal(ack.children[0]?.children[0]?.name, 'notificationsResponse');
    assert.equal(ack.children[0]?.children[0]?.children[0]?.text, 'true');
  });
});

describe('salesforce normalize', () => {
  const item = provider.interpret(makeRequest({ headers: XML, body: SOAP }), src).items[0];
  test('a split item', () => {
    assert.ok(item);
    const n = provider.normalize(makeRecord('salesforce', item.body, { contentType: 'text/xml', batchIndex: 0 }), src);
    const at = Date.parse('2024-12-16T15:57:04.000Z');
    assert.equal(n.dedupeKey, '04l0800002nrC5BAAU');
    assert.equal(n.resourceType, 'Account');
    assert.equal(n.resourceId, '001000000000001AAA');
    assert.equal(n.occurredAt, at);
    assert.deepEqual(n.ordering, { kind: 'VERSION', value: at, statusRank: null });
  });
  test('an unsplit single-notification envelope', () => {
    const one = SOAP.toString().replace(/<Notification>\s*<Id>04l0800002nrC5CAAU[\s\S]*?<\/Notification>/, '');
    const n = provider.normalize(makeRecord('salesforce', one, { contentType: 'text/xml' }), src);
    assert.equal(n.dedupeKey, '04l0800002nrC5BAAU');
    assert.ok(!n.payload.includes('LIVESESSIONSECRET'));
  });
  test('no modification stamp → NONE ordering', () => {
    const j = JSON.stringify({
      organizationId: ORG18,
      actionId: 'a',
      notificationId: 'n1',
      sObjectType: 'Contact',
      sObject: { Id: '003x' },
    });
    assert.equal(provider.normalize(makeRecord('salesforce', j), src).ordering.kind, 'NONE');
  });
  const broken: { name: string; body: string; reason: string }[] = [
    { name: 'not XML or JSON', body: '<<<', reason: 'unparseable' },
    { name: 'broken JSON item', body: '{"notificationId":', reason: 'unparseable' },
    { name: 'unsplit with two notifications', body: SOAP.toString(), reason: 'unexpected_payload' },
    {
      name: 'sObject without Id',
      body: JSON.stringify({ notificationId: 'n1', sObjectType: 'Account', sObject: { Name: 'x' } }),
      reason: 'missing_field',
    },
    {
      name: 'no notification id',
      body: JSON.stringify({ sObjectType: 'Account', sObject: { Id: '001' } }),
      reason: 'missing_field',
    },
  ];
  for (const c of broken) {
    test(`broken payload: ${c.name}`, () =>
      assert.throws(
        () => provider.normalize(makeRecord('salesforce', c.body, { contentType: 'text/xml' }), src),
        normalizeError(c.reason),
      ));
  }
});
