/**
 * Enrichment against a local HTTP server on 127.0.0.1 that answers with the documented response shapes
 * (test/fixtures/mollie/get-payment-paid.json: Mollie "Get payment"; test/fixtures/exact-online/
 * salesorder-get.json: Exact's SalesOrders in OData v2 JSON — their README files cite the pages).
 * Nothing leaves loopback.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { PermanentError, TransientError } from '../../common/errors.ts';
import { createLogger } from '../../common/logger.ts';
import { memorySourceStore } from '../../common/sources.ts';
import type { DomainEvent } from '../../common/contracts/index.ts';
import { getProvider } from '../../providers/index.ts';
import type { SourceConfig } from '../../providers/types.ts';
import type { AvroCodec } from '../../common/schemas.ts';
import type { Parking } from '../parking.ts';
import { createProcessor } from '../processor.ts';
import { createEnricher, withEnrichment } from './enrich.ts';

const fixture = (p: string) => readFileSync(new URL(`../../../test/fixtures/${p}`, import.meta.url), 'utf8');
const MOLLIE_PAYMENT = fixture('mollie/get-payment-paid.json');
const EXACT_ORDER = fixture('exact-online/salesorder-get.json');
const EXACT_NOTIFICATION = fixture('exact-online/salesorders-update.json');
const KEY = 'test_k3y_never_in_logs_0123456789';

interface Seen {
  url: string;
  auth: string | undefined;
}
let server: Server;
let base = '';
const seen: Seen[] = [];
/** Path → what the fake API does: a status and body, or 'hang' (never answers). */
const routes = new Map<string, { status: number; body: string } | 'hang'>();

before(async () => {
  server = createServer((req: IncomingMessage, res) => {
    seen.push({ url: req.url ?? '', auth: req.headers.authorization });
    const r = routes.get(decodeURIComponent(req.url ?? ''));
    if (r === 'hang') return;
    res.writeHead(r?.status ?? 404, { 'content-type': 'application/json' });
    res.end(r?.body ?? '{"status":404,"title":"Not Found","detail":"No such object"}');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

const source = (id: string, provider: string, options: Record<string, unknown>): SourceConfig => ({
  id,
  provider,
  secrets: ['s'],
  options: { apiBaseUrl: base, ...options },
});
function enricher(sources: SourceConfig[], timeoutMs = 2000) {
  for (const s of sources) assert.match(String(s.options.apiBaseUrl), /^http:\/\/127\.0\.0\.1:/);
  return createEnricher({
    sources: memorySourceStore(sources),
    provider: getProvider,
    env: { MOLLIE_KEY: KEY },
    timeoutMs,
    logger: createLogger('test', 'silent'),
  });
}
const event = (sourceId: string, provider: string, payload: string, extra: Partial<DomainEvent> = {}): DomainEvent => ({
  eventId: `ev-${Math.random()}`,
  sourceId,
  provider,
  eventType: 'webhook',
  resourceType: 'payment',
  resourceId: 'tr_WDqYK6vllg',
  resourceKey: `${sourceId}:payment:tr_WDqYK6vllg`,
  dedupeKey: 'd',
  occurredAt: 0,
  receivedAt: 0,
  ordering: { kind: 'NONE', value: null, statusRank: null },
  payload,
  contentType: 'application/x-www-form-urlencoded',
  deliveryId: 'd',
  headers: {},
  raw: { topic: 'webhooks.raw', partition: 0, offset: 0 },
  canonical: null,
  domain: 'payments',
  position: 1,
  gap: null,
  stale: false,
  sequencedAt: 0,
  staleReason: null,
  releasedBy: null,
  ...extra,
});

/** Built after the server listens: every source points at loopback. */
const mollie = () => source('mollie-classic', 'mollie', { apiKey: 'env:MOLLIE_KEY' });
const classic = (id: string) => event('mollie-classic', 'mollie', JSON.stringify({ id }));

describe('enrichment of thin webhooks (local API on 127.0.0.1)', () => {
  it('Mollie classic id=tr_… → GET /v2/payments/{id} with the source key → canonical Payment', async () => {
    routes.set('/v2/payments/tr_WDqYK6vllg', { status: 200, body: MOLLIE_PAYMENT });
    seen.length = 0;
    const e = await enricher([mollie()]).enrich(classic('tr_WDqYK6vllg'));
    assert.deepEqual(seen, [{ url: '/v2/payments/tr_WDqYK6vllg', auth: `Bearer ${KEY}` }]);
    assert.equal(e.canonical?.entity, 'payment');
    assert.equal(e.canonical?.payment?.id, 'tr_WDqYK6vllg');
    assert.deepEqual(e.canonical?.payment?.amount, { amountMinor: 1000, currency: 'EUR' });
    assert.equal(e.canonical?.payment?.status, 'succeeded');
  });
  it('Exact Online SalesOrders Update → GET …/SalesOrders(guid…)?$expand=SalesOrderLines → canonical Order', async () => {
    const path =
      "/api/v1/441609/salesorder/SalesOrders(guid'19cee073-095e-46d1-8d2d-f3fc97ba5bc1')?$expand=SalesOrderLines";
    routes.set(path, { status: 200, body: EXACT_ORDER });
    seen.length = 0;
    const exact = source('exact', 'exact-online', { apiKey: 'exact-access-token' });
    const e = await enricher([exact]).enrich(event('exact', 'exact-online', EXACT_NOTIFICATION));
    assert.deepEqual(seen, [{ url: path, auth: 'Bearer exact-access-token' }]);
    assert.equal(e.canonical?.order?.number, '1042');
    assert.equal(e.canonical?.order?.lines.length, 2);
    const deleted = EXACT_NOTIFICATION.replace('"Action":"Update"', '"Action":"Delete"');
    seen.length = 0;
    assert.equal((await enricher([exact]).enrich(event('exact', 'exact-online', deleted))).canonical, null);
    assert.equal(seen.length, 0, 'a deletion has nothing to fetch');
  });
  it('5xx and a timeout are transient (retry topics); the key is in no error', async () => {
    routes.set('/v2/payments/tr_down', { status: 503, body: '{}' });
    routes.set('/v2/payments/tr_slow', 'hang');
    const en = enricher([mollie()], 300);
    for (const [id, reason] of [
      ['tr_down', 'enrichment_http_503'],
      ['tr_slow', 'enrichment_timeout'],
    ] as const) {
      const err = await en.enrich(classic(id)).then(
        () => assert.fail('expected an error'),
        (x: unknown) => x,
      );
      assert.ok(err instanceof TransientError, `${id}: ${String(err)}`);
      assert.equal(err.reason, reason);
      assert.ok(!err.message.includes(KEY));
    }
  });
  it('a 4xx is permanent (DLQ with the reason); an unreachable API is transient', async () => {
    const err = await enricher([mollie()])
      .enrich(classic('tr_gone'))
      .catch((x: unknown) => x);
    assert.ok(err instanceof PermanentError);
    assert.equal(err.reason, 'enrichment_http_404');
    assert.match(err.message, /\/v2\/payments\/tr_gone answered 404/);
    assert.ok(!err.message.includes(KEY));
    const nowhere = source('mollie-classic', 'mollie', { apiKey: KEY, apiBaseUrl: 'http://127.0.0.1:9' });
    const down = await enricher([nowhere])
      .enrich(classic('tr_x'))
      .catch((x: unknown) => x);
    assert.ok(down instanceof TransientError && down.reason === 'enrichment_unreachable');
    assert.ok(!down.message.includes(KEY));
  });
  it('opt-in: a source without a key, an event with state and other providers are not fetched', async () => {
    seen.length = 0;
    const plain = source('mollie-classic', 'mollie', {});
    assert.equal((await enricher([plain]).enrich(classic('tr_WDqYK6vllg'))).canonical, null);
    const stripe = event('s', 'stripe', '{}');
    assert.equal(await enricher([mollie()]).enrich(stripe), stripe);
    assert.equal(seen.length, 0);
  });
  it('the wrapped handlers (projector, router) see the enriched event, fetched once for both', async () => {
    routes.set('/v2/payments/tr_WDqYK6vllg', { status: 200, body: MOLLIE_PAYMENT });
    seen.length = 0;
    const en = enricher([mollie()]);
    const got: (string | undefined)[] = [];
    const handler = (name: string) =>
      withEnrichment(
        {
          name,
          events: ['*'],
          handle: async (e) => {
            got.push(e.canonical?.payment?.status);
            return [];
          },
        },
        en,
      );
    const e = classic('tr_WDqYK6vllg');
    await handler('state-projector').handle(e, { attempt: 1, topic: 'events.payments' });
    await handler('outbound-router').handle(e, { attempt: 1, topic: 'events.payments' });
    assert.deepEqual(got, ['succeeded', 'succeeded']);
    assert.equal(seen.length, 1);
  });
});

/** Parking with the contract of redisParking, in memory (as processor.test.ts), all resolutions committed. */
function memoryParking(): Parking {
  const lanes = new Map<string, string[]>();
  const due = new Map<string, number>();
  const done = new Set<string>();
  return {
    async push(h, r, id) {
      const l = lanes.get(`${h}|${r}`) ?? [];
      if (!l.includes(id)) l.push(id);
      lanes.set(`${h}|${r}`, l);
      done.delete(id);
    },
    async setDue(_h, id, at) {
      due.set(id, at);
    },
    async resolve(_h, id) {
      done.add(id);
    },
    async head(h, r, resolvedHere) {
      const l = lanes.get(`${h}|${r}`) ?? [];
      const id = l.find((x) => !resolvedHere.has(x) && !done.has(x));
      return id === undefined ? undefined : { eventId: id, dueAt: due.get(id) };
    },
  };
}

describe('enrichment failures through the processor (retry topics, DLQ)', () => {
  it('503 → the first retry topic with a due time, later events of the resource wait; 404 → DLQ with the event bytes and reason', async () => {
    routes.set('/v2/payments/tr_down', { status: 503, body: '{}' });
    const fakeAvro = {
      decode: async (b: Buffer) => JSON.parse(b.toString()) as unknown,
      encode: async (_t: string, v: unknown) => Buffer.from(JSON.stringify(v)),
    } as unknown as AvroCodec;
    const effects: string[] = [];
    const handler = withEnrichment(
      {
        name: 'state-projector',
        events: ['payments/*'],
        handle: async (e) => {
          effects.push(e.eventId);
          return [];
        },
      },
      enricher([mollie()]),
    );
    const p = createProcessor({
      avro: fakeAvro,
      logger: createLogger('test', 'silent'),
      parking: memoryParking(),
      handlers: [handler],
      retryTopics: ['r5', 'r1m', 'r10m'],
      delaysMs: [5000, 60000, 600000],
      dlqTopic: 'dlq',
      committed: async () => true,
      now: () => 1000,
    });
    let offset = 0;
    const msg = (e: DomainEvent) => ({
      topic: 'events.payments',
      partition: 0,
      offset: String(offset++),
      key: e.resourceKey,
      value: Buffer.from(JSON.stringify(e)),
      headers: {},
      timestamp: 0,
    });
    const down = { ...classic('tr_down'), eventType: 'webhook', eventId: 'ev-down' };
    const later = { ...down, eventId: 'ev-later' };
    const gone = { ...classic('tr_gone'), eventId: 'ev-gone', resourceKey: 'mollie-classic:payment:tr_gone' };
    const out = await p.handleMain([msg(down), msg(later), msg(gone)]);
    assert.deepEqual(
      out.map((r) => r.topic),
      ['r5', 'r5', 'dlq'],
    );
    assert.equal(out[0]!.headers!['hookline-due-at'], '6000');
    assert.deepEqual(effects, [], 'nothing derived from an event whose object could not be fetched');
    const dl = JSON.parse(out[2]!.value!.toString()) as { reason: string; error: string; value?: string };
    assert.equal(dl.reason, 'enrichment_http_404');
    assert.ok(JSON.stringify(dl).includes('tr_gone'), 'the dead letter carries the event');
    assert.ok(!JSON.stringify(dl).includes(KEY), 'and never the key');
  });
});
