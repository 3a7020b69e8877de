import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PermanentError, TransientError } from '../common/errors.ts';
import type { InMessage } from '../common/kafka/types.ts';
import { createLogger } from '../common/logger.ts';
import type { AvroCodec } from '../common/schemas.ts';
import type { Parking } from './parking.ts';
import { createProcessor, PH } from './processor.ts';
import type { DomainEvent } from '../common/contracts/index.ts';
import type { ProcessorHandler } from './types.ts';

/** In-memory parking with the same contract as redisParking (resolutions count once "committed"). */
function memoryParking(committedAll: () => boolean): Parking {
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
      while (l.length > 0 && !resolvedHere.has(l[0]!) && done.has(l[0]!) && committedAll()) l.shift();
      const id = l.find((x) => !resolvedHere.has(x) && !(done.has(x) && committedAll()));
      return id === undefined ? undefined : { eventId: id, dueAt: due.get(id) };
    },
  };
}

const fakeAvro = {
  decode: async (b: Buffer) => JSON.parse(b.toString()) as unknown,
  encode: async (_t: string, v: unknown) =>
    Buffer.from(JSON.stringify(v, (_k, x: unknown) => (Buffer.isBuffer(x) ? x.toString('base64') : x))),
} as unknown as AvroCodec;

const ev = (r: string, n: number): DomainEvent =>
  ({ eventId: `${r}-${n}`, resourceKey: r, domain: 'payments', eventType: 'x' }) as DomainEvent;
let offset = 0;
const msg = (e: DomainEvent, topic = 'events.payments', headers: Record<string, string> = {}): InMessage => ({
  topic,
  partition: 0,
  offset: String(offset++),
  key: e.resourceKey,
  value: Buffer.from(JSON.stringify(e)),
  headers,
  timestamp: 0,
});

function setup(fail: (e: DomainEvent, attempt: number) => Error | undefined) {
  const ran: string[] = [];
  const handler: ProcessorHandler = {
    name: 'h',
    events: ['payments/*'],
    async handle(e, ctx) {
      const err = fail(e, ctx.attempt);
      if (err) throw err;
      ran.push(e.eventId);
      return [{ topic: 'effects', key: e.resourceKey, value: Buffer.from(e.eventId) }];
    },
  };
  const p = createProcessor({
    avro: fakeAvro,
    logger: createLogger('test', 'silent'),
    parking: memoryParking(() => true),
    handlers: [handler],
    retryTopics: ['r5', 'r1m', 'r10m'],
    delaysMs: [5, 60, 600],
    dlqTopic: 'dlq',
    committed: async () => true,
    now: () => 1000,
  });
  return { p, ran };
}

describe('processor decisions', () => {
  it('a transient failure goes to the first retry topic with a due time; later events of the resource are parked behind it', async () => {
    const { p, ran } = setup((e, attempt) =>
      e.eventId === 'a-1' && attempt === 1 ? new TransientError('busy') : undefined,
    );
    const out = await p.handleMain([msg(ev('a', 1)), msg(ev('a', 2)), msg(ev('b', 1))]);
    assert.deepEqual(
      out.map((r) => r.topic),
      ['r5', 'r5', 'effects'],
    );
    assert.equal(out[0]!.headers![PH.dueAt], '1005');
    assert.equal(out[0]!.headers!['hookline-attempt'], '1');
    assert.equal(out[1]!.headers!['hookline-attempt'], '0', 'a-2 waits, it did not fail');
    assert.deepEqual(ran, ['b-1']);
    // The lane: a-1 succeeds on attempt 2, then a-2 (resolved in the same transaction) runs.
    const lane = await p.handleLane([
      { ...msg(ev('a', 1), 'r5'), headers: out[0]!.headers! },
      { ...msg(ev('a', 2), 'r5'), headers: out[1]!.headers! },
    ]);
    assert.deepEqual(
      lane.map((r) => r.value!.toString()),
      ['a-1', 'a-2'],
    );
    assert.deepEqual(ran, ['b-1', 'a-1', 'a-2']);
    assert.equal(p.dueAt({ ...msg(ev('a', 1)), headers: out[0]!.headers! }), 1005);
  });

  it('retries climb the topics and end in the DLQ when exhausted; a permanent error goes straight there', async () => {
    const { p } = setup((e) =>
      e.eventId === 'c-1'
        ? new TransientError('busy')
        : e.eventId === 'd-1'
          ? new PermanentError('bad', 'bad_event')
          : undefined,
    );
    let [r] = await p.handleMain([msg(ev('c', 1))]);
    const topics = [r!.topic];
    for (let i = 0; i < 3; i++) {
      [r] = await p.handleLane([{ ...msg(ev('c', 1), r!.topic), headers: r!.headers! }]);
      topics.push(r!.topic);
    }
    assert.deepEqual(topics, ['r5', 'r1m', 'r10m', 'dlq']);
    const dl = JSON.parse(r!.value!.toString()) as {
      reason: string;
      attempts: number;
      sourceTopic: string;
      headers: Record<string, string>;
    };
    assert.equal(dl.reason, 'exhausted_retries');
    assert.equal(dl.attempts, 4);
    assert.equal(dl.sourceTopic, 'events.payments', 'redrive goes back to the domain topic');
    assert.equal(dl.headers[PH.handler], 'h', 'and only to the handler that failed');
    const [d] = await p.handleMain([msg(ev('d', 1))]);
    assert.equal(d!.topic, 'dlq');
    assert.equal((JSON.parse(d!.value!.toString()) as { reason: string }).reason, 'bad_event');
  });
});
