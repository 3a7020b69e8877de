/**
 * Topics as code for GitOps: the declared topics (services/common/topics.ts) as Strimzi KafkaTopic
 * resources, with the same partitions and configs `npm run setup` applies. Written as YAML by hand
 * (JSON-quoted strings are valid YAML scalars), so the production image needs no YAML library.
 */
import { configEntries, topicName, TOPICS, type TopicSpec } from '../services/common/topics.ts';

export interface StrimziOptions {
  /** Name of the Strimzi Kafka resource (label strimzi.io/cluster). */
  readonly cluster: string;
  readonly namespace?: string | undefined;
  readonly prefix: string;
  readonly replicas: number;
  readonly minInsyncReplicas: number;
  readonly topics?: readonly TopicSpec[];
}

/** A Kubernetes name for a topic: lower case, [a-z0-9.-], at most 253 characters. */
export function resourceName(topic: string): string {
  const n = topic
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, '-')
    .replace(/^[.-]+|[.-]+$/g, '');
  if (n === '' || n.length > 253) throw new Error(`topic ${topic} has no valid Kubernetes resource name`);
  return n;
}

export function strimziTopics(o: StrimziOptions): string {
  const q = (s: string) => JSON.stringify(s);
  const docs = (o.topics ?? TOPICS).map((t) => {
    const name = topicName(o.prefix, t.name);
    const config = configEntries(t, {
      prefix: o.prefix,
      replicationFactor: o.replicas,
      minInsyncReplicas: o.minInsyncReplicas,
    });
    return [
      `# ${t.doc}`,
      'apiVersion: kafka.strimzi.io/v1beta2',
      'kind: KafkaTopic',
      'metadata:',
      `  name: ${q(resourceName(name))}`,
      ...(o.namespace ? [`  namespace: ${q(o.namespace)}`] : []),
      '  labels:',
      `    strimzi.io/cluster: ${q(o.cluster)}`,
      'spec:',
      `  topicName: ${q(name)}`,
      `  partitions: ${t.partitions}`,
      `  replicas: ${o.replicas}`,
      '  config:',
      ...config.map((c) => `    ${c.name}: ${q(c.value)}`),
    ].join('\n');
  });
  return `${docs.join('\n---\n')}\n`;
}
