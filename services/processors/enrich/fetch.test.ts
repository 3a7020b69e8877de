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
import type { NormalizedEnvelope } from '../../common/contracts/index.ts';
import { getProvider } from '../../providers/index.ts';
import type { SourceConfig } from '../../providers/types.ts';
import type { AvroCodec } from '../../common/schemas.ts';
import { createFetcher } from './fetch.ts';
import { createEnrichStage } from './stage.ts';

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
  return createFetcher({
    sources: memorySourceStore(sources),
    provider: getProvider,
    env: { MOLLIE_KEY: KEY },
    timeoutMs,
    logger: createLogger('test', 'silent'),
  });
}
const event = (
  sourceId: string,
  provider: string,
  payload: string,
  extra: Partial<NormalizedEnvelope> = {},
): NormalizedEnvelope => ({
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
  ...extra,
});

/** Built after the server listens: every source points at loopback. */
const mollie = () => source('mollie-classic', 'mollie', { apiKey: 'env:MOLLIE_KEY' });
const classic = (id: string) => event('mollie-classic', 'mollie', JSON.stringify({ id }));

describe('fetching the object of thin webhooks (local API on 127.0.0.1)', () => {
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
});

const fakeAvro = {
  decode: async (b: Buffer) => JSON.parse(b.toString()) as unknown,
  encode: async (_t: string, v: unknown) => Buffer.from(JSON.stringify(v)),
} as unknown as AvroCodec;

describe('the enrichment stage: webhooks.enrich → webhooks.normalized | retry topics | webhooks.dlq', () => {
  const stage = (now = 1000) =>
    createEnrichStage({
      fetcher: enricher([mollie()]),
      avro: fakeAvro,
      logger: createLogger('test', 'silent'),
      topics: { input: 'enrich', retry: ['r5', 'r1m', 'r10m'], normalized: 'normalized', dlq: 'dlq' },
      delaysMs: [5000, 60000, 600000],
      concurrency: 4,
      now: () => now,
    });
  let offset = 0;
  const msg = (e: NormalizedEnvelope, headers: Record<string, string> = {}, topic = 'enrich') => ({
    topic,
    partition: 0,
    offset: String(offset++),
    key: e.resourceKey,
    value: Buffer.from(JSON.stringify(e)),
    headers: { 'hookline-event-id': e.eventId, ...headers },
    timestamp: 0,
  });

  it('fetched → normalized with payload, canonical and the STATUS ordering of the object; order kept', async () => {
    routes.set('/v2/payments/tr_WDqYK6vllg', { status: 200, body: MOLLIE_PAYMENT });
    routes.set('/v2/payments/tr_down', { status: 503, body: '{}' });
    routes.set('/v2/payments/tr_gone', { status: 404, body: '{"status":404}' });
    const a = { ...classic('tr_WDqYK6vllg'), eventId: 'ev-a' };
    const b = { ...classic('tr_WDqYK6vllg'), eventId: 'ev-b' };
    const down = { ...classic('tr_down'), eventId: 'ev-down', resourceKey: 'mollie-classic:payment:tr_down' };
    const gone = { ...classic('tr_gone'), eventId: 'ev-gone', resourceKey: 'mollie-classic:payment:tr_gone' };
    const input = [msg(a), msg(down), msg(b), msg(gone)];
    const out = await stage().handler.handle(input, { topic: 'enrich', partition: 0, attempt: 0 });
    assert.deepEqual(
      out.map((r) => r.topic),
      ['normalized', 'r5', 'normalized', 'dlq'],
    );
    const got = out
      .filter((r) => r.topic === 'normalized')
      .map((r) => JSON.parse(r.value!.toString()) as NormalizedEnvelope);
    assert.deepEqual(
      got.map((e) => e.eventId),
      ['ev-a', 'ev-b'],
    );
    for (const e of got) {
      assert.equal(e.canonical?.payment?.status, 'succeeded');
      assert.equal(e.canonical?.payment?.providerStatus, 'paid');
      // paidAt 2018-03-20T13:14:02Z, rank of `paid`
      assert.deepEqual(e.ordering, { kind: 'STATUS', value: Date.parse('2018-03-20T13:14:02Z'), statusRank: 3 });
      assert.match(e.payload, /"_embedded":\{"entity":\{"resource":"payment"/);
    }
    assert.equal(out[1]!.headers!['hookline-due-at'], '6000');
    assert.equal(out[1]!.headers!['hookline-attempt'], '1');
    assert.equal(out[1]!.value, input[1]!.value, 'the retry carries the envelope bytes unchanged');
    const dl = JSON.parse(out[3]!.value!.toString()) as {
      reason: string;
      sourceTopic: string;
      value: { data: number[] };
    };
    assert.equal(dl.reason, 'enrichment_http_404');
    assert.equal(dl.sourceTopic, 'enrich');
    assert.deepEqual(Buffer.from(dl.value.data), input[3]!.value, 'the dead letter holds the full envelope bytes');
    assert.ok(!JSON.stringify(out.map((r) => [r.headers, r.value?.toString()])).includes(KEY), 'never the key');
  });

  it('a retry is due at its header time; after the last delay a transient failure is exhausted → DLQ naming webhooks.enrich', async () => {
    const s = stage(2000);
    const down = { ...classic('tr_down'), eventId: 'ev-down', resourceKey: 'mollie-classic:payment:tr_down' };
    const origin = 'enrich\u00000\u000042';
    const retried = msg(
      down,
      { 'hookline-attempt': '3', 'hookline-due-at': '1500', 'hookline-origin': origin },
      'r10m',
    );
    assert.equal(s.dueAt(retried), 1500);
    assert.equal(s.dueAt(msg(down)), 0);
    const out = await s.handler.handle([retried], { topic: 'r10m', partition: 0, attempt: 0 });
    assert.deepEqual(
      out.map((r) => r.topic),
      ['dlq'],
    );
    const dl = JSON.parse(out[0]!.value!.toString()) as {
      reason: string;
      attempts: number;
      sourceTopic: string;
      sourceOffset: number;
      headers: Record<string, string>;
    };
    assert.deepEqual([dl.reason, dl.attempts, dl.sourceTopic, dl.sourceOffset], ['exhausted_retries', 4, 'enrich', 42]);
    assert.equal(dl.headers['hookline-origin'], undefined);
    const second = await s.handler.handle([msg(down, { 'hookline-attempt': '1', 'hookline-origin': origin }, 'r5')], {
      topic: 'r5',
      partition: 0,
      attempt: 0,
    });
    assert.deepEqual(
      second.map((r) => [r.topic, r.headers!['hookline-attempt'], r.headers!['hookline-origin']]),
      [['r1m', '2', origin]],
    );
  });
});
