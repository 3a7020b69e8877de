/**
 * The enrichment stage under SIGKILL: a real processors process (services/processors/main.ts) enriches
 * thin Mollie classic envelopes from webhooks.enrich against a local, deliberately slow "Mollie API" on
 * 127.0.0.1, and is killed with SIGKILL while it works, then restarted. Out on webhooks.normalized, read
 * committed: every event exactly once, enriched, and for each resource its two events in input order.
 * Fetches that ran in an aborted transaction are simply fetched again (a GET is a read).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NormalizedEnvelope } from '../../services/common/contracts/index.ts';
import { createProducer } from '../../services/common/kafka/producer.ts';
import { AvroCodec, createRegistry } from '../../services/common/schemas.ts';
import { topicName } from '../../services/common/topics.ts';
import type { SourceConfig } from '../../services/providers/types.ts';
import { collect, type Collector } from '../helpers/collect.ts';
import { eventually, provision, stackConfig, testKafka, uniquePrefix } from '../helpers/env.ts';
import { ROOT, startServiceProcess, type ServiceProcess } from '../helpers/services.ts';

const prefix = uniquePrefix('ekill');
const t = (logical: string) => topicName(prefix, logical);
const RESOURCES = 60;
const PAYMENT = JSON.parse(readFileSync(`${ROOT}test/fixtures/mollie/get-payment-paid.json`, 'utf8')) as object;
const SOURCE = 'mollie-kill';

describe('enrichment stage: SIGKILL while fetching loses and duplicates nothing, order per resource kept', () => {
  let api: Server;
  let out: Collector;
  let env: Record<string, string>;
  let processors: ServiceProcess | undefined;
  let fetches = 0;
  const avro = new AvroCodec(createRegistry(stackConfig.SCHEMA_REGISTRY_URL));

  const envelope = (r: number, n: number): NormalizedEnvelope => {
    const id = `tr_kill${r}`;
    return {
      eventId: `ev-kill-${r}-${n}`,
      sourceId: SOURCE,
      provider: 'mollie',
      eventType: 'payment.changed',
      resourceType: 'payment',
      resourceId: id,
      resourceKey: `${SOURCE}:payment:${id}`,
      dedupeKey: `mollie|${id}|${n}`,
      occurredAt: 1_700_000_000_000 + n,
      receivedAt: 1_700_000_000_000 + n,
      ordering: { kind: 'NONE', value: null, statusRank: null },
      payload: JSON.stringify({ id }),
      contentType: 'application/x-www-form-urlencoded',
      deliveryId: `mollie|${id}|${n}`,
      headers: {},
      raw: { topic: t('webhooks.raw'), partition: 0, offset: r * 2 + n },
      canonical: null,
    };
  };

  before(async () => {
    api = createServer((req, res) => {
      fetches++;
      const id = /\/v2\/payments\/(tr_\w+)$/.exec(req.url ?? '')?.[1];
      setTimeout(() => {
        res.writeHead(id ? 200 : 404, { 'content-type': 'application/hal+json' });
        res.end(JSON.stringify(id ? { ...PAYMENT, id } : { status: 404 }));
      }, 60);
    });
    await new Promise<void>((ok) => api.listen(0, '127.0.0.1', ok));
    const base = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
    const sources: SourceConfig[] = [
      { id: SOURCE, provider: 'mollie', secrets: ['t'], options: { apiKey: 'kill-test-key', apiBaseUrl: base } },
    ];
    for (const s of sources) assert.match(String(s.options.apiBaseUrl), /^http:\/\/127\.0\.0\.1:\d+$/);
    const dir = mkdtempSync(join(tmpdir(), 'hookline-ekill-'));
    writeFileSync(join(dir, 'sources.json'), JSON.stringify({ sources }));
    env = {
      SOURCES_FILE: join(dir, 'sources.json'),
      PROCESSORS_ENRICH_CONCURRENCY: '1',
      PROCESSORS_ENRICH_CHUNK_SIZE: '2',
    };
    await provision(prefix);
    out = await collect(testKafka(), t('webhooks.normalized'));
  });

  it('every event once, enriched, in order per resource, across a SIGKILL and a restart', async (tc) => {
    processors = await startServiceProcess('processors', prefix, env);
    const producer = createProducer(testKafka('ekill'));
    await producer.connect();
    const records = [];
    for (let n = 0; n < 2; n++)
      for (let r = 0; r < RESOURCES; r++) {
        const e = envelope(r, n);
        records.push({
          topic: t('webhooks.enrich'),
          key: e.resourceKey,
          value: await avro.encode(t('webhooks.enrich'), e),
        });
      }
    await producer.send(records);
    await producer.disconnect();

    await eventually(() => (out.messages.length >= 10 ? true : undefined), 60_000, 'the first enriched events');
    assert.ok(out.messages.length < records.length, 'killed while work was left');
    processors.child.kill('SIGKILL');
    await processors.stop(5_000);
    const before = out.messages.length;
    processors = await startServiceProcess('processors', prefix, env);

    await eventually(
      () => (out.messages.length >= records.length ? true : undefined),
      120_000,
      'all events on webhooks.normalized',
    );
    await sleep(3000); // a duplicate would be visible by now
    const got = await Promise.all(out.messages.map(async (m) => avro.decode<NormalizedEnvelope>(m.value!)));
    const ids = got.map((e) => e.eventId);
    assert.equal(new Set(ids).size, ids.length, 'no event twice');
    assert.equal(ids.length, records.length, 'no event lost');
    for (const e of got) {
      assert.equal(e.canonical?.payment?.status, 'succeeded', `${e.eventId} enriched`);
      assert.equal(e.ordering.kind, 'STATUS');
    }
    const byResource = new Map<string, string[]>();
    for (const e of got) byResource.set(e.resourceKey, [...(byResource.get(e.resourceKey) ?? []), e.eventId]);
    for (const [key, evs] of byResource) {
      const r = key.slice(key.lastIndexOf('tr_kill') + 7);
      assert.deepEqual(evs, [`ev-kill-${r}-0`, `ev-kill-${r}-1`], `${key} in input order`);
    }
    assert.ok(fetches >= records.length, `fetched ${fetches} times for ${records.length} events`);
    tc.diagnostic(
      `${records.length} events, ${before} out before the SIGKILL, ${fetches} GETs (re-fetched after the abort)`,
    );
  });

  after(async () => {
    await out?.stop();
    const code = await processors?.stop();
    api?.closeAllConnections();
    api?.close();
    assert.equal(code, 0, 'the restarted processors exit 0 on SIGTERM');
  });
});
