/**
 * Reads every committed record of a topic from the beginning with a throwaway group: what a downstream team sees.
 *
 * It must keep reading while the process it runs in is busy (a benchmark's load generator shares its
 * event loop), so it does not trust one group membership to last: when the consumer crashes, or has had
 * no successful heartbeat for WATCHDOG_MS (a member the coordinator forgot, which kafkajs does not
 * always recover from), it is replaced by a new one in a new throwaway group that reads from the
 * beginning again; records already collected (same partition and offset) are not added twice.
 */
import type { Consumer, Kafka } from 'kafkajs';
import { decodeHeaders } from '../../services/common/kafka/client.ts';
import type { InMessage } from '../../services/common/kafka/types.ts';

export interface Collector {
  readonly messages: InMessage[];
  stop(): Promise<void>;
}

const WATCHDOG_MS = 90_000;

export async function collect(
  kafka: Kafka,
  topic: string,
  opts: { readUncommitted?: boolean } = {},
): Promise<Collector> {
  const messages: InMessage[] = [];
  const seen = new Set<string>();
  let consumer: Consumer | undefined;
  let lastBeat = Date.now();
  let stopped = false;
  let replacing: Promise<void> | undefined;

  async function start(): Promise<void> {
    const c = kafka.consumer({
      groupId: `collector-${topic}-${Math.random().toString(36).slice(2)}`,
      readUncommitted: opts.readUncommitted ?? false,
      sessionTimeout: 60_000,
    });
    c.on(c.events.HEARTBEAT, () => {
      lastBeat = Date.now();
    });
    c.on(c.events.CRASH, () => replace());
    consumer = c;
    lastBeat = Date.now();
    await c.connect();
    await c.subscribe({ topics: [topic], fromBeginning: true });
    await c.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const id = `${partition}:${message.offset}`;
        if (seen.has(id)) return;
        seen.add(id);
        messages.push({
          topic,
          partition,
          offset: message.offset,
          key: message.key ? message.key.toString() : null,
          value: message.value,
          headers: decodeHeaders(message.headers),
          timestamp: Number(message.timestamp),
        });
      },
    });
  }

  function replace(): void {
    if (stopped || replacing) return;
    const old = consumer;
    replacing = (async () => {
      await old?.disconnect().catch(() => undefined);
      if (!stopped) await start();
    })()
      .catch(() => undefined)
      .finally(() => {
        replacing = undefined;
      });
  }

  const watchdog = setInterval(() => {
    if (Date.now() - lastBeat > WATCHDOG_MS) replace();
  }, 5_000);
  watchdog.unref();

  await start();
  return {
    messages,
    async stop() {
      stopped = true;
      clearInterval(watchdog);
      await replacing;
      await consumer?.disconnect();
    },
  };
}
