/** Shared by the sequencer tests: provisioning, a sequencer child process, Avro in and out. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Kafka } from 'kafkajs';
import type { NormalizedEnvelope } from '../../services/common/contracts/index.ts';
import { createProducer } from '../../services/common/kafka/producer.ts';
import { AvroCodec, createRegistry } from '../../services/common/schemas.ts';
import { TOPICS, topicName } from '../../services/common/topics.ts';
import { provision, serviceEnv, stackConfig } from '../helpers/env.ts';

export const SEQUENCER_TOPICS = TOPICS.filter(
  (t) =>
    t.name.startsWith('events.') || ['webhooks.normalized', 'webhooks.dlq', 'sequencer.changelog'].includes(t.name),
);

export const avro = new AvroCodec(createRegistry(stackConfig.SCHEMA_REGISTRY_URL));

export async function provisionSequencer(prefix: string): Promise<void> {
  await provision(prefix, SEQUENCER_TOPICS);
}

const MAIN = fileURLToPath(new URL('../../services/sequencer/main.ts', import.meta.url));

export function startSequencerProcess(prefix: string, extra: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [MAIN], {
    env: serviceEnv(prefix, { SEQUENCER_SESSION_TIMEOUT_MS: '6000', ...extra }),
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return child;
}

export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}

export async function produceEnvelopes(
  kafka: Kafka,
  prefix: string,
  envs: readonly NormalizedEnvelope[],
): Promise<void> {
  const topic = topicName(prefix, 'webhooks.normalized');
  const producer = createProducer(kafka);
  await producer.connect();
  try {
    const records = await Promise.all(
      envs.map(async (e) => ({ topic, key: e.resourceKey, value: await avro.encode(topic, e) })),
    );
    for (let i = 0; i < records.length; i += 500) await producer.send(records.slice(i, i + 500));
  } finally {
    await producer.disconnect();
  }
}

export interface DomainOut {
  eventId: string;
  resourceKey: string;
  eventType: string;
  domain: string;
  position: number;
  ordering: { kind: string; value: number | null; statusRank: number | null };
  gap: { expected: number; received: number } | null;
  stale: boolean;
  staleReason: string | null;
  releasedBy: string | null;
}
