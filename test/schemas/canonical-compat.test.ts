/**
 * The canonical field on webhooks.normalized and events.<domain> is a BACKWARD compatible change, on
 * the real registry: the schemas as they were before it (the same files without `canonical`) are
 * registered first, then the current ones pass the registry's own BACKWARD check; a variant without
 * the default is refused. A consumer still on the old reader schema decodes new records (it simply
 * does not see `canonical`), and the new reader decodes old records with `canonical` = null.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, it } from 'node:test';
import { SchemaType } from '@kafkajs/confluent-schema-registry';
import { canonical } from '../../services/common/canonical.ts';
import { AvroCodec, createRegistry, registerSchemas, schemaText } from '../../services/common/schemas.ts';
import { TOPICS, topicName } from '../../services/common/topics.ts';
import { stackConfig, uniquePrefix } from '../helpers/env.ts';

/** The reader-schema option of registry.decode (an Avro schema object). */
type Reader = NonNullable<
  NonNullable<Parameters<ReturnType<typeof createRegistry>['decode']>[1]>[SchemaType.AVRO]
>['readerSchema'];
const reader = (schema: unknown): Reader => schema as Reader;

const FILES = ['events.domain.avsc', 'webhooks.normalized.avsc'];
const topics = TOPICS.filter((t) => t.name === 'events.payments' || t.name === 'webhooks.normalized');

/** The schema as it was before the canonical field: the current file minus that field. */
function withoutCanonical(file: string): Record<string, unknown> {
  const s = JSON.parse(schemaText(file)) as { fields: { name: string }[] };
  return { ...s, fields: s.fields.filter((f) => f.name !== 'canonical') };
}

function dirWith(mutate: (file: string) => Record<string, unknown>): string {
  const dir = `${mkdtempSync(`${tmpdir()}/hookline-schemas-`)}/`;
  for (const f of FILES) writeFileSync(`${dir}${f}`, JSON.stringify(mutate(f)));
  return dir;
}

const event = {
  eventId: '7d9f0c1e-0000-4000-8000-000000000001',
  sourceId: 'stripe-test',
  provider: 'stripe',
  eventType: 'payment_intent.succeeded',
  resourceType: 'payment_intent',
  resourceId: 'pi_1',
  resourceKey: 'stripe-test:payment_intent:pi_1',
  dedupeKey: 'evt_1',
  occurredAt: 1_700_000_000_000,
  receivedAt: 1_700_000_000_100,
  ordering: { kind: 'STATUS', value: 1_700_000_000_000, statusRank: 3 },
  payload: '{"id":"evt_1"}',
  contentType: 'application/json',
  deliveryId: 'evt_1',
  headers: {},
  raw: { topic: 'webhooks.raw', partition: 0, offset: 1 },
  domain: 'payments',
  position: 1,
  gap: null,
  stale: false,
  sequencedAt: 1_700_000_000_200,
  staleReason: null,
  releasedBy: null,
};

describe('canonical field: BACKWARD compatible on the real registry, old readers keep working', () => {
  const url = stackConfig.SCHEMA_REGISTRY_URL;

  it('old schemas first, then the current ones pass the BACKWARD check; a default-less variant is refused', async () => {
    const prefix = uniquePrefix('canon-compat');
    await registerSchemas(url, prefix, topics, dirWith(withoutCanonical));
    const registered = await registerSchemas(url, prefix, topics);
    assert.equal(registered.length, 2);
    const noDefault = dirWith((f) => {
      const s = JSON.parse(schemaText(f)) as { fields: Record<string, unknown>[] };
      return {
        ...s,
        fields: s.fields.map((x) => (x.name === 'canonical' ? { ...x, name: 'canonical2', default: undefined } : x)),
      };
    });
    await assert.rejects(registerSchemas(url, prefix, topics, noDefault), /not BACKWARD compatible/);
  });

  it('a consumer on the old reader schema reads new records; the new reader reads old ones', async () => {
    const prefix = uniquePrefix('canon-reader');
    const registry = createRegistry(url);
    const topic = topicName(prefix, 'events.payments');
    await registerSchemas(url, prefix, topics, dirWith(withoutCanonical));
    const oldCodec = new AvroCodec(registry);
    const oldBytes = await oldCodec.encode(topic, event);
    await registerSchemas(url, prefix, topics);
    const newCodec = new AvroCodec(registry);
    const c = canonical('payment', {
      id: 'pi_1',
      status: 'succeeded',
      providerStatus: 'succeeded',
      amount: { amountMinor: 1000, currency: 'EUR' },
    });
    const newBytes = await newCodec.encode(topic, { ...event, canonical: c });
    assert.notEqual(newBytes.readUInt32BE(1), oldBytes.readUInt32BE(1), 'written with the new schema id');

    const oldReader = reader(withoutCanonical('events.domain.avsc'));
    const seenByOld = (await registry.decode(newBytes, { [SchemaType.AVRO]: { readerSchema: oldReader } })) as Record<
      string,
      unknown
    >;
    assert.equal('canonical' in seenByOld, false);
    assert.deepEqual(JSON.parse(JSON.stringify(seenByOld)), event, 'every old field intact');

    const seenByNew = JSON.parse(JSON.stringify(await registry.decode(oldBytes))) as Record<string, unknown>;
    const newReader = reader(JSON.parse(schemaText('events.domain.avsc')));
    const resolved = JSON.parse(
      JSON.stringify(await registry.decode(oldBytes, { [SchemaType.AVRO]: { readerSchema: newReader } })),
    ) as Record<string, unknown>;
    assert.equal(seenByNew.canonical, undefined, 'old record decoded with its own (old) writer schema');
    assert.equal(resolved.canonical, null, 'new reader fills the default');
    const latest = JSON.parse(JSON.stringify(await registry.decode(newBytes))) as {
      canonical: { entity: string; payment: { amount: unknown } };
    };
    assert.equal(latest.canonical.entity, 'payment');
    assert.deepEqual(latest.canonical.payment.amount, { amountMinor: 1000, currency: 'EUR' });
  });
});
