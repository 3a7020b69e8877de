/**
 * Ordering and exactly-once against the real Kafka: 3,000 events over 300 resources from five
 * providers (STATUS, VERSION ×2, SEQUENCE, NONE), shuffled, 10% re-delivered, produced in three
 * waves while the sequencer process is SIGKILLed twice mid-stream and restarted. The result must
 * equal what the pure ordering model gives for the same arrival order: each resource's domain
 * output in provider order, stale events on events.stale, nothing lost, nothing twice.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { NormalizedEnvelope } from '../../services/common/contracts/index.ts';
import { topicName } from '../../services/common/topics.ts';
import { domainMapper } from '../../services/sequencer/domains.ts';
import { accept, DEFAULT_ORDERING, emptyState, type ResourceState } from '../../services/sequencer/ordering.ts';
import { collect, type Collector } from '../helpers/collect.ts';
import { eventually, testKafka, uniquePrefix } from '../helpers/env.ts';
import { envelope, rng, shuffle, SPECS } from './fixtures.ts';
import {
  avro,
  produceEnvelopes,
  provisionSequencer,
  startSequencerProcess,
  stopProcess,
  type DomainOut,
} from './helpers.ts';

const RESOURCES_PER_SPEC = 60;
const EVENTS_PER_RESOURCE = 10;
const SEED = Number(process.env.SEQUENCER_TEST_SEED ?? 20250613);
const prefix = uniquePrefix('seqkill');
const kafka = testKafka('hookline-test-seqkill');
const t = (l: string) => topicName(prefix, l);

describe('sequencer: shuffled, duplicated input, SIGKILL mid-stream', () => {
  const collectors: Collector[] = [];
  before(async () => {
    await provisionSequencer(prefix);
  });
  after(async () => {
    await Promise.all(collectors.map((c) => c.stop()));
  });

  it('emits every resource in provider order, stale to events.stale, no duplicates, across two kills', async () => {
    const random = rng(SEED);
    const distinct: NormalizedEnvelope[] = [];
    for (const spec of SPECS)
      for (let r = 0; r < RESOURCES_PER_SPEC; r++)
        for (let i = 0; i < EVENTS_PER_RESOURCE; i++) distinct.push(envelope(spec, r, i));
    const input = shuffle([...distinct, ...distinct.filter(() => random() < 0.1)], random);
    assert.ok(distinct.length >= 3000);

    // The model: the pure core over each resource's arrival order (no deadline can pass: hold-back 10 min).
    const o = { ...DEFAULT_ORDERING, holdBackMs: 600_000 };
    const states = new Map<string, ResourceState<NormalizedEnvelope>>();
    const expectDomain = new Map<string, string[]>();
    const expectStale: string[] = [];
    for (const e of input) {
      const s = states.get(e.resourceKey) ?? emptyState<NormalizedEnvelope>();
      states.set(e.resourceKey, s);
      for (const x of accept(s, e, 0, 100, o)) {
        if (x.type === 'apply')
          expectDomain.set(e.resourceKey, [...(expectDomain.get(e.resourceKey) ?? []), x.event.eventId]);
        if (x.type === 'stale') expectStale.push(x.event.eventId); // a re-delivered stale event is stale again (audit)
      }
    }
    for (const s of states.values()) assert.equal(s.held.length, 0, 'model: every sequence completes');
    const expectedTotal = [...expectDomain.values()].reduce((n, l) => n + l.length, 0) + expectStale.length;

    const domainOf = domainMapper();
    const domains = [...new Set(distinct.map((e) => domainOf(e.provider, e.eventType)))];
    for (const d of [...domains.map((x) => `events.${x}`), 'events.stale']) collectors.push(await collect(kafka, t(d)));
    const seen = () => collectors.reduce((n, c) => n + c.messages.length, 0);

    const env = { SEQUENCER_HOLD_BACK_MS: '600000', SEQUENCER_CHUNK_SIZE: '40' };
    const waves = [input.slice(0, 1200), input.slice(1200, 2400), input.slice(2400)];
    let child = startSequencerProcess(prefix, env);
    try {
      await produceEnvelopes(kafka, prefix, waves[0]!);
      await eventually(() => (seen() >= 300 ? true : undefined), 90_000, 'first outputs');
      await stopProcess(child, 'SIGKILL');
      const atKill1 = seen();
      await produceEnvelopes(kafka, prefix, waves[1]!);
      child = startSequencerProcess(prefix, env);
      await eventually(() => (seen() >= atKill1 + 400 ? true : undefined), 90_000, 'outputs after restart 1');
      await stopProcess(child, 'SIGKILL');
      await produceEnvelopes(kafka, prefix, waves[2]!);
      child = startSequencerProcess(prefix, env);
      await eventually(() => (seen() >= expectedTotal ? true : undefined), 180_000, `${expectedTotal} outputs`);
      await new Promise((r) => setTimeout(r, 3000));
    } finally {
      await stopProcess(child);
    }

    const domainOut = new Map<string, DomainOut[]>();
    const staleOut: DomainOut[] = [];
    for (const c of collectors) {
      for (const m of c.messages) {
        const v = await avro.decode<DomainOut>(m.value!);
        assert.equal(m.key, v.resourceKey, 'keyed by resource');
        if (m.topic === t('events.stale')) staleOut.push(v);
        else domainOut.set(v.resourceKey, [...(domainOut.get(v.resourceKey) ?? []), v]);
      }
    }
    assert.equal(seen(), expectedTotal, 'no output record twice (exactly the expected count)');
    const allIds = [...domainOut.values()].flat().map((v) => v.eventId);
    assert.equal(new Set(allIds).size, allIds.length, 'no event twice on the domain topics');
    assert.deepEqual(staleOut.map((v) => v.eventId).sort(), [...expectStale].sort(), 'stale records as the model says');
    for (const [key, ids] of expectDomain) {
      const got = domainOut.get(key) ?? [];
      assert.deepEqual(
        got.map((v) => v.eventId),
        ids,
        `resource ${key}: domain output as the model says`,
      );
      assert.deepEqual(
        got.map((v) => v.position),
        ids.map((_, i) => i + 1),
        `resource ${key}: positions 1..n`,
      );
      const kind = got[0]?.ordering.kind;
      if (kind === 'SEQUENCE')
        assert.deepEqual(
          got.map((v) => v.ordering.value),
          Array.from({ length: EVENTS_PER_RESOURCE }, (_, i) => i + 1),
          `${key}: contiguous sequence, no gap`,
        );
      if (kind === 'VERSION')
        for (let i = 1; i < got.length; i++)
          assert.ok(got[i]!.ordering.value! >= got[i - 1]!.ordering.value!, `${key}: versions never go back`);
      if (kind === 'STATUS')
        for (let i = 1; i < got.length; i++) {
          const [a, b] = [got[i - 1]!.ordering, got[i]!.ordering];
          assert.ok(
            b.statusRank! > a.statusRank! || (b.statusRank === a.statusRank && b.value! >= a.value!),
            `${key}: status never goes back`,
          );
        }
    }
    // Every distinct event is accounted for exactly once: applied or stale.
    const accounted = new Set([...allIds, ...staleOut.map((v) => v.eventId)]);
    assert.equal(accounted.size, distinct.length, 'nothing lost');
    for (const v of staleOut) assert.ok(v.stale && v.staleReason, 'stale records say why');
    console.log(
      `kill test: ${distinct.length} distinct events (+${input.length - distinct.length} re-deliveries), ${states.size} resources, domain ${allIds.length}, stale ${staleOut.length}, 2 SIGKILLs`,
    );
  });
});
