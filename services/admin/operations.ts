/**
 * What the operations routes (dead letters, replay, consumer groups, event explorer, overview,
 * source stats) need from the running admin: the Kafka client and admin, the Avro codec, topic and
 * group naming, the lag monitor and the metrics reader. Built once in service.ts; the routes are
 * factories over it, so they run in memory in tests with real Kafka parts.
 */
import type { TopicName } from '../common/contracts/index.ts';
import type { KafkaAdmin } from '../common/kafka/admin.ts';
import type { KafkaClient } from '../common/kafka/client.ts';
import type { AvroCodec } from '../common/schemas.ts';
import type { LagFigures } from './lag.ts';
import type { MetricsReader } from './overview/reader.ts';
import { ApiError } from './errors.ts';

export interface OperationsDeps {
  readonly kafka: KafkaClient;
  readonly admin: KafkaAdmin;
  readonly avro: AvroCodec;
  /** Physical topic name of a logical one (TOPIC_PREFIX applied). */
  readonly topic: (logical: TopicName) => string;
  /** TOPIC_PREFIX, to accept logical names in requests and answer with them. */
  readonly topicPrefix: string;
  /** `<GROUP_PREFIX>.<TOPIC_PREFIX>`: only groups of this deployment are listed or replayed. */
  readonly groupPrefix: string;
  /** Reads consumer lag and DLQ depth now (lag.ts). */
  readonly lag: () => Promise<LagFigures>;
  /** Link to a trace UI (ADMIN_TRACE_URL_TEMPLATE with {traceId}); undefined = no link. */
  readonly traceUrl?: ((traceId: string) => string) | undefined;
  /** Prometheus or the sampler (overview/); undefined = overview and source stats answer 501. */
  readonly metrics?: MetricsReader | undefined;
}

/** Logical name of a physical topic (the prefix removed), for answers. */
export const logicalTopic = (o: OperationsDeps, physical: string): string =>
  o.topicPrefix !== '' && physical.startsWith(o.topicPrefix) ? physical.slice(o.topicPrefix.length) : physical;

/** The physical name of a topic given logically ("webhooks.dlq") or physically (with the prefix). */
export const physicalTopic = (o: OperationsDeps, name: string): string =>
  o.topicPrefix !== '' && name.startsWith(o.topicPrefix) ? name : `${o.topicPrefix}${name}`;

/** The deps, or 501 when this admin was built without them (an in-memory app in a unit test). */
export function need(o: OperationsDeps | undefined): OperationsDeps {
  if (!o) throw new ApiError(501, 'not_configured', 'operations are not available in this admin');
  return o;
}
