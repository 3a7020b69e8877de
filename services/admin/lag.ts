/**
 * Consumer lag and dead-letter depth, read from Kafka itself (no lag exporter to deploy): every
 * intervalMs the admin lists this deployment's consumer groups (names starting with
 * `<GROUP_PREFIX>.<TOPIC_PREFIX>`), reads their committed offsets and the end offsets of the topics
 * they consume, and exposes
 *
 *   hookline_consumer_lag{group, topic}   records between the committed offset and the end of the
 *                                         topic, summed over partitions (no commit yet: the whole
 *                                         retained partition). On topics written in transactions
 *                                         the commit marker after the last record can count as 1
 *                                         per partition.
 *   hookline_consumer_committed{group, topic}  committed offsets summed over partitions: a group
 *                                         with lag whose figure stops changing has stopped moving
 *                                         (a retry topic nobody drains; alerts.yml HooklineConsumerStalled).
 *   hookline_dlq_records{topic}           records retained in each dead-letter topic.
 *   hookline_lag_scrape_age_seconds       age of the last successful read (stale figures alert).
 *
 * deploy/prometheus/alerts.yml alerts on them. A failed read keeps the previous figures and is
 * logged (throttled); the age gauge grows until a read succeeds. Topics that do not exist (a DLQ not
 * created yet, a topic deleted since a group committed on it) are skipped, not retried: kafkajs
 * would retry them for seconds. stop() waits for a read in flight, so the admin client is never
 * used (and silently reconnected) after the service disconnected it.
 */
import type { Meter } from '@opentelemetry/api';
import type { KafkaAdmin } from '../common/kafka/admin.ts';
import { messageOf } from '../common/errors.ts';
import { throttled, type Logger } from '../common/logger.ts';

export interface LagFigures {
  readonly lag: readonly { group: string; topic: string; records: number; committed: number }[];
  readonly dlq: readonly { topic: string; records: number }[];
  readonly at: number;
}

export interface LagMonitor {
  /** Reads the figures now (tests; the timer calls it too). */
  refresh(): Promise<LagFigures>;
  current(): LagFigures | undefined;
  stop(): Promise<void>;
}

export function startLagMonitor(o: {
  readonly admin: KafkaAdmin;
  readonly meter?: Meter;
  readonly groupPrefix: string;
  readonly dlqTopics: readonly string[];
  readonly intervalMs: number;
  readonly logger: Logger;
}): LagMonitor {
  let figures: LagFigures | undefined;
  const warn = throttled(60_000);
  let stopped = false;
  let inFlight: Promise<unknown> | undefined;

  async function refresh(): Promise<LagFigures> {
    const exists = new Set(await o.admin.listTopics());
    const ends = new Map<string, Promise<Map<number, { high: number; low: number }>>>();
    const endsOf = (topic: string) => {
      let p = ends.get(topic);
      if (!p) {
        p = o.admin
          .fetchTopicOffsets(topic)
          .then((parts) => new Map(parts.map((x) => [x.partition, { high: Number(x.high), low: Number(x.low) }])));
        ends.set(topic, p);
      }
      return p;
    };
    const { groups } = await o.admin.listGroups();
    const lag: { group: string; topic: string; records: number; committed: number }[] = [];
    for (const groupId of groups
      .map((g) => g.groupId)
      .filter((g) => g.startsWith(o.groupPrefix))
      .sort()) {
      for (const { topic, partitions } of await o.admin.fetchOffsets({ groupId })) {
        if (!exists.has(topic)) continue;
        const end = await endsOf(topic);
        let records = 0;
        let committedSum = 0;
        for (const p of partitions) {
          const e = end.get(p.partition);
          if (!e) continue;
          const committed = Number(p.offset);
          records += committed < 0 ? e.high - e.low : Math.max(0, e.high - committed);
          committedSum += Math.max(0, committed);
        }
        lag.push({ group: groupId, topic, records, committed: committedSum });
      }
    }
    const dlq: { topic: string; records: number }[] = [];
    for (const topic of o.dlqTopics.filter((t) => exists.has(t))) {
      let records = 0;
      for (const e of (await endsOf(topic)).values()) records += e.high - e.low;
      dlq.push({ topic, records });
    }
    figures = { lag, dlq, at: Date.now() };
    return figures;
  }

  o.meter
    ?.createObservableGauge('hookline_consumer_lag', {
      description: 'Records not yet consumed by a hookline consumer group, by group and topic (summed over partitions)',
    })
    .addCallback((r) => {
      for (const l of figures?.lag ?? []) r.observe(l.records, { group: l.group, topic: l.topic });
    });
  o.meter
    ?.createObservableGauge('hookline_consumer_committed', {
      description: 'Committed offsets of a hookline consumer group, summed over partitions, by group and topic',
    })
    .addCallback((r) => {
      for (const l of figures?.lag ?? []) r.observe(l.committed, { group: l.group, topic: l.topic });
    });
  o.meter
    ?.createObservableGauge('hookline_dlq_records', { description: 'Records retained in a dead-letter topic' })
    .addCallback((r) => {
      for (const d of figures?.dlq ?? []) r.observe(d.records, { topic: d.topic });
    });
  o.meter
    ?.createObservableGauge('hookline_lag_scrape_age_seconds', {
      description: 'Seconds since consumer lag and DLQ depth were last read from Kafka',
    })
    .addCallback((r) => {
      if (figures) r.observe((Date.now() - figures.at) / 1000);
    });

  const tick = () => {
    if (stopped || inFlight) return;
    inFlight = refresh()
      .catch((err: unknown) => {
        if (warn())
          o.logger.warn({ err: messageOf(err) }, 'consumer lag not read from kafka; keeping the last figures');
      })
      .finally(() => {
        inFlight = undefined;
      });
  };
  tick();
  const timer = setInterval(tick, o.intervalMs);
  timer.unref();
  return {
    refresh,
    current: () => figures,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await inFlight;
    },
  };
}
