/**
 * `npm run setup`: applies the declared topics (services/common/topics.ts) and registers the Avro
 * schemas (schemas/) with BACKWARD compatibility. Idempotent; fails loudly on a change Kafka or the
 * registry refuses. Reads the same environment as the services.
 */
import { baseSpec, int, readConfig } from '../services/common/config.ts';
import { connectionSpec, connections } from '../services/common/connections/index.ts';
import { createKafka } from '../services/common/kafka/client.ts';
import { createLogger } from '../services/common/logger.ts';
import { registerSchemas } from '../services/common/schemas.ts';
import { applyTopics } from '../services/common/topics.ts';

const config = readConfig(
  { ...baseSpec, ...connectionSpec, KAFKA_REPLICATION_FACTOR: int(1, 1, 9), KAFKA_MIN_INSYNC_REPLICAS: int(1, 1, 9) },
  process.env,
);
const logger = createLogger('setup', config.LOG_LEVEL);
const conn = connections(config);
const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'hookline-setup', logger, ...conn.kafka });
const admin = kafka.admin();
const started = performance.now();
try {
  await admin.connect();
  const r = await applyTopics(admin, {
    prefix: config.TOPIC_PREFIX,
    replicationFactor: config.KAFKA_REPLICATION_FACTOR,
    minInsyncReplicas: config.KAFKA_MIN_INSYNC_REPLICAS,
  });
  const subjects = await registerSchemas(conn.registry, config.TOPIC_PREFIX);
  process.stdout.write(
    `topics: ${r.created.length} created, ${r.partitionsRaised.length} with more partitions, ${r.configsAltered.length} reconfigured\n` +
      `schemas: ${subjects.map((s) => `${s.subject}=${s.id}`).join(', ')}\n` +
      `setup done in ${Math.round(performance.now() - started)} ms\n`,
  );
} catch (err) {
  process.stderr.write(`setup failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
} finally {
  await admin.disconnect();
}
