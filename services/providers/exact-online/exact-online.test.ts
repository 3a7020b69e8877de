import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { fixture, normalizeError, makeRecord, makeRequest, makeSource } from '../testing.ts';
import { exactTimeToMs, provider, topLevelValueSpans } from './index.ts';

const REAL = fixture('exact-online', 'salesorders-update.json').toString('utf8').trim();
const CONTENT = REAL.slice(REAL.indexOf('{', 1), REAL.indexOf(',"HashCode"'));
const hash = (secret: string, content: string): string =>
  createHmac('sha256', secret).update(content).digest('hex').toUpperCase();
const bodyWith = (secret: string, content = CONTENT): string =>
  `{"Content":${content},"HashCode":"${hash(secret, content)}"}`;
const src = makeSource('exact-online', ['eo-new', 'eo-old']);

describe('exact-online verify', () => {
  const spaced = CONTENT.replace('"Topic":"SalesOrders"', '"Topic" : "SalesOrders"');
  const cases: { name: string; body: string; want: string }[] = [
    { name: 'valid', body: bodyWith('eo-new'), want: 'ok' },
    { name: 'rotated secret accepted', body: bodyWith('eo-old'), want: 'ok' },
    {
      name: 'lower-case hex accepted',
      body: bodyWith('eo-new').replace(
        /"HashCode":"([0-9A-F]+)"/,
        (_m, h: string) => `"HashCode":"${h.toLowerCase()}"`,
      ),
      want: 'ok',
    },
    {
      name: 'the exact raw text is signed (whitespace kept, no re-serialization)',
      body: `{"Content":${spaced},"HashCode":"${hash('eo-new', spaced)}"}`,
      want: 'ok',
    },
    {
      name: 'HashCode first, Content second',
      body: `{"HashCode":"${hash('eo-new', CONTENT)}","Content":${CONTENT}}`,
      want: 'ok',
    },
    {
      name: 'tampered content',
      body: bodyWith('eo-new').replace('"Action":"Update"', '"Action":"Delete"'),
      want: 'bad_signature',
    },
    { name: 'wrong secret', body: bodyWith('nope'), want: 'bad_signature' },
    { name: 'real example with unknown secret', body: REAL, want: 'bad_signature' },
    { name: 'missing HashCode', body: `{"Content":${CONTENT}}`, want: 'missing_signature' },
    {
      name: 'duplicate Content key refused',
      body: `{"Content":${CONTENT},"Content":{"Topic":"X"},"HashCode":"${hash('eo-new', CONTENT)}"}`,
      want: 'malformed_signature',
    },
    { name: 'HashCode not hex', body: `{"Content":${CONTENT},"HashCode":"xyz"}`, want: 'malformed_signature' },
    { name: 'not JSON', body: '{"Content":', want: 'malformed_signature' },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const r = provider.verify(makeRequest({ headers: { 'content-type': 'application/json' }, body: c.body }), src);
      assert.equal(r.ok ? 'ok' : r.reason, c.want);
    });
  }
  test('scanner finds nested objects, strings with braces and escapes', () => {
    const t = '{"a":{"b":"}{\\"x"},"c":[1,{"d":2}],"e":-1.5e3,"f":null}';
    const spans = topLevelValueSpans(t);
    const at = (k: string): string => {
      const s = spans.get(k)?.[0];
      return s ? t.slice(s.start, s.end) : '';
    };
    assert.equal(at('a'), '{"b":"}{\\"x"}');
    assert.equal(at('c'), '[1,{"d":2}]');
    assert.equal(at('e'), '-1.5e3');
    assert.equal(at('f'), 'null');
  });
});

describe('exact-online normalize', () => {
  test('the real example', () => {
    const n = provider.normalize(makeRecord('exact-online', REAL), src);
    const at = Date.parse('2020-01-06T16:26:08.587Z');
    assert.deepEqual(
      { ...n, payload: undefined },
      {
        dedupeKey: 'SalesOrders|441609|19cee073-095e-46d1-8d2d-f3fc97ba5bc1|Update|2020-01-06T16:26:08.587',
        eventType: 'SalesOrders.Update',
        resourceType: 'SalesOrders',
        resourceId: '19cee073-095e-46d1-8d2d-f3fc97ba5bc1',
        occurredAt: at,
        ordering: { kind: 'VERSION', value: at, statusRank: null },
        payload: undefined,
      },
    );
  });
  test('interpret agrees', () => {
    assert.equal(
      provider.interpret(makeRequest({ body: REAL }), src).items[0]?.extracted.deliveryId,
      'SalesOrders|441609|19cee073-095e-46d1-8d2d-f3fc97ba5bc1|Update|2020-01-06T16:26:08.587',
    );
  });
  test('/Date(ms)/ times', () => assert.equal(exactTimeToMs('/Date(1578327968587)/'), 1578327968587));
  const broken: { name: string; body: string; reason: string }[] = [
    { name: 'not JSON', body: 'nope', reason: 'unparseable' },
    { name: 'no Content', body: '{"HashCode":"AB"}', reason: 'missing_field' },
    {
      name: 'no Key',
      body: '{"Content":{"Topic":"Items","Division":1,"Action":"Update","EventCreatedOn":"2020-01-06T16:26:08"}}',
      reason: 'missing_field',
    },
    {
      name: 'bad EventCreatedOn',
      body: '{"Content":{"Topic":"Items","Division":1,"Action":"Update","Key":"k","EventCreatedOn":"someday"}}',
      reason: 'invalid_field',
    },
  ];
  for (const c of broken) {
    test(`broken payload: ${c.name}`, () =>
      assert.throws(() => provider.normalize(makeRecord('exact-online', c.body), src), normalizeError(c.reason)));
  }
});
