/** Reads every committed record of a topic from the beginning with a throwaway group: what a downstream team sees. */
import type { Kafka } from 'kafkajs';
import { decodeHeaders } from '../../services/common/kafka/client.ts';
import type { InMessage } from '../../services/common/kafka/types.ts';

export interface Collector {
  readonly messages: InMessage[];
  stop(): Promise<void>;
}

export async function collect(
  kafka: Kafka,
  topic: string,
  opts: { readUncommitted?: boolean } = {},
): Promise<Collector> {
  const messages: InMessage[] = [];
  const consumer = kafka.consumer({
    groupId: `collector-${topic}-${Math.random().toString(36).slice(2)}`,
    readUncommitted: opts.readUncommitted ?? false,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
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
  return {
    messages,
    stop: () => consumer.disconnect(),
  };
}
