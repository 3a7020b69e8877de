/**
 * Which outbound.events offset of one partition may be committed. Messages finish out of order
 * (lanes run concurrently); the committed offset only ever moves past a message once every job
 * of it is done — delivered, given up (recorded), or parked durably in Redis. So a crash replays
 * at most the messages still in memory, never loses one.
 */
import type { Ticket } from './types.ts';

interface Entry {
  readonly offset: number;
  left: number;
}

export class OffsetTracker {
  #queue: Entry[] = [];
  #head = 0;
  #next: number | undefined;
  #pending = 0;
  #waiters: { below: number; resolve: () => void }[] = [];

  /** Registers `offset` (increasing) with `jobs` jobs; the ticket is called once per job. */
  add(offset: number, jobs: number): Ticket {
    this.#next = offset + 1;
    if (jobs === 0) {
      this.#advance();
      return { done: () => undefined };
    }
    const e: Entry = { offset, left: jobs };
    this.#queue.push(e);
    this.#pending++;
    return {
      done: () => {
        if (e.left === 0) return;
        e.left--;
        if (e.left > 0) return;
        this.#pending--;
        this.#advance();
        this.#notify();
      },
    };
  }

  /** Messages with at least one job not done. */
  get pending(): number {
    return this.#pending;
  }

  /** The offset to commit (the next to read after a restart), or undefined when nothing was added. */
  committable(): number | undefined {
    const first = this.#queue[this.#head];
    return first ? first.offset : this.#next;
  }

  /** Resolves when fewer than `below` messages are pending (backpressure). */
  waitBelow(below: number): Promise<void> {
    if (this.#pending < below) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ below, resolve }));
  }

  /** Releases every waiter (shutdown). */
  release(): void {
    for (const w of this.#waiters.splice(0)) w.resolve();
  }

  #advance(): void {
    while (this.#head < this.#queue.length && this.#queue[this.#head]!.left === 0) this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  #notify(): void {
    if (this.#waiters.length === 0) return;
    this.#waiters = this.#waiters.filter((w) => {
      if (this.#pending < w.below) {
        w.resolve();
        return false;
      }
      return true;
    });
  }
}
