/**
 * The cluster operations hookline uses, and nothing else: services, the lag monitor, the topic
 * applier and the operator commands depend on this interface, never on the client library. It is
 * the KafkaJS-shaped subset (method names and result shapes of kafkajs's Admin, which Confluent's
 * KafkaJS-compatible client also offers), so swapping the client means a new createKafka() here,
 * not edits in every service. Add an operation here before using it anywhere.
 */
import type { Admin, ITopicConfig } from 'kafkajs';
import type { KafkaClient } from './client.ts';

export type KafkaAdmin = Pick<
  Admin,
  | 'connect'
  | 'disconnect'
  | 'describeCluster'
  | 'listTopics'
  | 'createTopics'
  | 'createPartitions'
  | 'fetchTopicMetadata'
  | 'describeConfigs'
  | 'alterConfigs'
  | 'fetchTopicOffsets'
  | 'fetchTopicOffsetsByTimestamp'
  | 'fetchOffsets'
  | 'setOffsets'
  | 'listGroups'
  | 'describeGroups'
  | 'deleteGroups'
>;

/** A topic to create (name, partitions, replication factor, configs). */
export type TopicConfig = ITopicConfig;

export function createAdmin(kafka: KafkaClient): KafkaAdmin {
  return kafka.admin();
}
