/**
 * Ordering and isolation. A lane is one (endpoint, resource) pair; it delivers its jobs one at a
 * time, in the order they were read from the partition. Lanes run concurrently, so different
 * resources and endpoints never wait for each other.
 *
 * When the head of a lane cannot be delivered now (a retry is scheduled, or the endpoint's gate
 * deferred it), the lane *parks*: the head and everything queued behind it move to Redis (see
 * park-store.ts) and later arrivals for the lane are appended there, so the next waits while the
 * previous is retrying, and their Kafka offsets can be committed at once. One timer per partition,
 * set to the earliest due time in Redis, wakes due lanes (no polling; a sweep every `sweepMs`
 * picks up anything a lost lease left behind). A parked lane drains in order, then runs from
 * memory again.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { messageOf } from '../common/errors.ts';
import type { Logger } from '../common/logger.ts';
import { backoffDelay } from '../common/retry.ts';
import type { Attempter } from './attempt.ts';
import type { DispatcherMetrics } from './metrics.ts';
import type { ParkStore } from './park-store.ts';
import { laneIdOf, type Job } from './types.ts';

interface Lane {
  readonly id: string;
  /** Jobs read from Kafka, not yet durable anywhere but the topic. */
  readonly mem: Job[];
  /** The lane has jobs in Redis (they come before `mem`). */
  parked: boolean;
  /** The parked head is due: deliver it. */
  due: boolean;
  running: boolean;
}

export interface LaneOptions {
  readonly store: ParkStore;
  readonly attempt: Attempter;
  readonly logger: Logger;
  readonly metrics: DispatcherMetrics;
  /** How long a parked head being delivered is hidden from the due scan (> request timeout). */
  readonly leaseMs: number;
  readonly sweepMs: number;
}

export class PartitionLanes {
  readonly #o: LaneOptions;
  readonly #log: Logger;
  readonly #lanes = new Map<string, Lane>();
  readonly #running = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Infinity;
  #sweep: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(o: LaneOptions) {
    this.#o = o;
    this.#log = o.logger.child({ component: 'lanes' });
  }

  /** Loads the parked lanes of the partition; call before the first submit. */
  async start(): Promise<void> {
    const ids = await this.#o.store.all();
    for (const id of ids) this.#lane(id).parked = true;
    this.#sweep = setInterval(() => this.#fire(), this.#o.sweepMs);
    this.#sweep.unref();
    this.#fire();
  }

  get size(): number {
    return this.#lanes.size;
  }

  submit(job: Job): void {
    const lane = this.#lane(laneIdOf(job.endpointId, job.msg.resourceKey));
    lane.mem.push(job);
    this.#run(lane);
  }

  /** Stops starting work; waits for the attempts in flight to end. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearInterval(this.#sweep);
    await Promise.allSettled([...this.#running]);
  }

  #lane(id: string): Lane {
    let lane = this.#lanes.get(id);
    if (!lane) this.#lanes.set(id, (lane = { id, mem: [], parked: false, due: false, running: false }));
    return lane;
  }

  #notify(at: number): void {
    if (this.#stopped || at >= this.#timerAt) return;
    clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, at - Date.now()));
  }

  #fire(): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timerAt = Infinity;
    void this.#wakeDue().catch((err: unknown) => {
      this.#log.warn({ err: messageOf(err) }, 'due scan failed; the sweep retries');
    });
  }

  async #wakeDue(): Promise<void> {
    const now = Date.now();
    const ids = await this.#o.store.due(now, 1000);
    for (const id of ids) {
      const lane = this.#lane(id);
      lane.parked = true;
      lane.due = true;
      this.#run(lane);
    }
    if (ids.length === 1000) return this.#notify(Date.now());
    const next = await this.#o.store.nextAfter(now);
    if (next !== undefined) this.#notify(next);
  }

  #run(lane: Lane): void {
    if (lane.running || this.#stopped) return;
    lane.running = true;
    const p = this.#loop(lane).finally(() => {
      lane.running = false;
      this.#running.delete(p);
      if (!lane.parked && lane.mem.length === 0) this.#lanes.delete(lane.id);
      else if (!this.#stopped && (lane.mem.length > 0 || (lane.parked && lane.due))) this.#run(lane);
    });
    this.#running.add(p);
  }

  async #loop(lane: Lane): Promise<void> {
    for (let failures = 0; !this.#stopped;) {
      try {
        if (!(await this.#step(lane))) return;
        failures = 0;
      } catch (err) {
        const delay = backoffDelay(failures++, { initialMs: 200, maxMs: 10_000, jitter: 0.5 });
        this.#log.warn(
          { lane: lane.id, err: messageOf(err), delayMs: delay },
          'lane step failed (redis or kafka unavailable), will retry',
        );
        await sleep(delay);
      }
    }
  }

  /** One step of a lane; false = nothing more to do now. */
  async #step(lane: Lane): Promise<boolean> {
    const store = this.#o.store;
    if (lane.parked) {
      if (lane.mem.length > 0) {
        const jobs = lane.mem.slice();
        await store.append(lane.id, jobs);
        lane.mem.splice(0, jobs.length);
        for (const j of jobs) j.ticket?.done();
      }
      if (!lane.due) return false;
      const head = await store.head(lane.id);
      if (!head) {
        lane.due = false;
        lane.parked = (await store.popHead(lane.id, '')) > 0;
        return lane.mem.length > 0;
      }
      await store.lease(lane.id, Date.now() + this.#o.leaseMs);
      const next = await this.#o.attempt(head);
      if (next.kind === 'done') {
        const left = await store.popHead(lane.id, head.msg.messageId);
        lane.parked = left > 0;
        lane.due = left > 0;
        return true;
      }
      lane.due = false;
      await store.reschedule(lane.id, head, next.at);
      this.#notify(next.at);
      return true;
    }
    const job = lane.mem[0];
    if (!job) return false;
    const next = await this.#o.attempt(job);
    if (next.kind === 'done') {
      lane.mem.shift();
      job.ticket?.done();
      return true;
    }
    const jobs = lane.mem.slice();
    await store.park(lane.id, jobs, next.at);
    lane.mem.splice(0, jobs.length);
    lane.parked = true;
    lane.due = false;
    this.#o.metrics.parked.add(1);
    for (const j of jobs) j.ticket?.done();
    this.#notify(next.at);
    return true;
  }
}
