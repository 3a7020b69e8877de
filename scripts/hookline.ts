/**
 * Operator command: `npm run hookline -- <command>`. Reads the same environment as the services
 * (KAFKA_BROKERS, SCHEMA_REGISTRY_URL, TOPIC_PREFIX). Topic and group names are given as they are
 * in Kafka (with any prefix).
 *
 *   replay --group <g> --topic <t> (--to-earliest | --to-latest | --to-datetime <iso> | --to-offset <n>)
 *          [--partition <p>] [--dry-run] [--wait]
 *   dlq list --topic <dlq> [--source s] [--type t] [--reason r] [--since <iso>] [--json]
 *   dlq show <id> --topic <dlq>
 *   dlq redrive --topic <dlq> [--source s] [--type t] [--reason r] [--since <iso>] [--ids a,b,...] [--dry-run]
 *   tail <events.domain> [--resource <key|id>] [--since <iso>] [--max <n>]   (TOPIC_PREFIX is added if missing)
 *   topics --format strimzi [--cluster <kafka>] [--namespace <ns>] [--replicas 3] [--min-insync 2]
 *          (no connection: prints KafkaTopic resources for GitOps)
 */
import { parseArgs } from 'node:util';
import { baseSpec, readConfig } from '../services/common/config.ts';
import { createAdmin } from '../services/common/kafka/admin.ts';
import { connectionSpec, connections } from '../services/common/connections/index.ts';
import { createKafka } from '../services/common/kafka/client.ts';
import { createLogger } from '../services/common/logger.ts';
import { AvroCodec, createRegistry } from '../services/common/schemas.ts';
import { TOPIC } from '../services/common/contracts/index.ts';
import { topicName } from '../services/common/topics.ts';
import { strimziTopics } from './strimzi-topics.ts';
import { listDlq, redrive, type DlqFilter } from '../services/common/operations/dlq.ts';
import { tail } from '../services/operator/tail.ts';
import { applyReplay, awaitEmptyGroup, planReplay, type ReplayTarget } from '../services/common/operations/replay.ts';

const USAGE = `usage:
  hookline replay --group <g> --topic <t> (--to-earliest|--to-latest|--to-datetime <iso>|--to-offset <n>) [--partition <p>] [--dry-run] [--wait]
  hookline dlq list --topic <dlq> [--source s] [--type t] [--reason r] [--since <iso>] [--json]
  hookline dlq show <id> --topic <dlq>
  hookline dlq redrive --topic <dlq> [--source s] [--type t] [--reason r] [--since <iso>] [--ids a,b] [--dry-run]
  hookline tail <events.domain> [--resource <key|id>] [--since <iso>] [--max <n>]
  hookline topics --format strimzi [--cluster <kafka>] [--namespace <ns>] [--replicas 3] [--min-insync 2]`;

const out = (line: string) => process.stdout.write(`${line}\n`);

function fail(msg: string): never {
  process.stderr.write(`${msg}\n${USAGE}\n`);
  process.exit(2);
}

function date(s: string | undefined, flag: string): Date | undefined {
  if (s === undefined) return undefined;
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) fail(`${flag} must be an ISO date-time, got "${s}"`);
  return d;
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      group: { type: 'string' },
      topic: { type: 'string' },
      partition: { type: 'string' },
      'to-earliest': { type: 'boolean' },
      'to-latest': { type: 'boolean' },
      'to-datetime': { type: 'string' },
      'to-offset': { type: 'string' },
      'dry-run': { type: 'boolean' },
      format: { type: 'string' },
      cluster: { type: 'string' },
      namespace: { type: 'string' },
      replicas: { type: 'string' },
      'min-insync': { type: 'string' },
      wait: { type: 'boolean' },
      source: { type: 'string' },
      type: { type: 'string' },
      reason: { type: 'string' },
      since: { type: 'string' },
      ids: { type: 'string' },
      json: { type: 'boolean' },
      resource: { type: 'string' },
      max: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals.length === 0) {
    out(USAGE);
    return;
  }
  if (positionals[0] === 'topics') {
    if (values.format !== 'strimzi') fail('topics: --format strimzi is the only format');
    const count = (v: string | undefined, flag: string, def: number) => {
      const n = Number(v ?? def);
      return Number.isInteger(n) && n >= 1 && n <= 9 ? n : fail(`${flag} must be 1..9, got "${v}"`);
    };
    const { TOPIC_PREFIX } = readConfig({ TOPIC_PREFIX: baseSpec.TOPIC_PREFIX }, process.env);
    process.stdout.write(
      strimziTopics({
        cluster: values.cluster ?? 'hookline',
        namespace: values.namespace,
        prefix: TOPIC_PREFIX,
        replicas: count(values.replicas, '--replicas', 3),
        minInsyncReplicas: count(values['min-insync'], '--min-insync', 2),
      }),
    );
    return;
  }
  const config = readConfig({ ...baseSpec, ...connectionSpec }, process.env);
  const conn = connections(config);
  const logger = createLogger('hookline-cli', process.env.LOG_LEVEL ?? 'error');
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'hookline-cli', logger, ...conn.kafka });
  const admin = createAdmin(kafka);
  await admin.connect();
  try {
    const [cmd, sub, arg] = positionals;
    if (cmd === 'tail') {
      const name = sub ?? fail('tail needs a topic, e.g. events.payments');
      const topic = name.startsWith(config.TOPIC_PREFIX) ? name : topicName(config.TOPIC_PREFIX, name);
      const max = values.max === undefined ? undefined : Number(values.max);
      if (max !== undefined && !(Number.isInteger(max) && max > 0)) fail('--max must be a positive integer');
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      await tail(kafka, admin, new AvroCodec(createRegistry(config.SCHEMA_REGISTRY_URL)), {
        topic,
        ...(values.resource === undefined ? {} : { resource: values.resource }),
        ...(values.since === undefined ? {} : { since: date(values.since, '--since')! }),
        ...(max === undefined ? {} : { max }),
        out,
        progress: (line) => process.stderr.write(`${line}\n`),
        signal: stop.signal,
      });
      return;
    }
    if (cmd === 'replay') {
      const group = values.group ?? fail('--group is required');
      const topic = values.topic ?? fail('--topic is required');
      const targets: ReplayTarget[] = [];
      if (values['to-earliest']) targets.push({ to: 'earliest' });
      if (values['to-latest']) targets.push({ to: 'latest' });
      if (values['to-datetime'] !== undefined)
        targets.push({ to: 'datetime', at: date(values['to-datetime'], '--to-datetime')! });
      if (values['to-offset'] !== undefined) {
        if (!/^\d+$/.test(values['to-offset'])) fail('--to-offset must be a non-negative integer');
        targets.push({ to: 'offset', offset: BigInt(values['to-offset']) });
      }
      if (targets.length !== 1) fail('give exactly one of --to-earliest, --to-latest, --to-datetime, --to-offset');
      const partition = values.partition === undefined ? undefined : Number(values.partition);
      if (partition !== undefined && !Number.isInteger(partition)) fail('--partition must be an integer');
      const rows = await planReplay(admin, group, topic, targets[0]!, partition);
      out(`replay plan for group ${group} on ${topic}:`);
      out('partition  current  ->  target   re-read  skipped');
      for (const r of rows)
        out(
          `${String(r.partition).padStart(9)}  ${String(r.current ?? 'none').padStart(7)}  ->  ${String(r.target).padEnd(7)}  ${String(r.reread).padStart(7)}  ${String(r.skipped).padStart(7)}`,
        );
      out(`total: ${rows.reduce((n, r) => n + r.reread, 0n)} message(s) will be re-read`);
      if (values['dry-run']) {
        out('dry run: nothing changed');
        return;
      }
      await awaitEmptyGroup(admin, group, {
        wait: values.wait ?? false,
        onWait: (m, s) => out(`waiting: group has ${m} active member(s) (${s})…`),
      });
      await applyReplay(admin, group, topic, rows);
      out(`offsets of ${group} on ${topic} reset; the group re-reads from there when it starts`);
      return;
    }
    if (cmd === 'dlq') {
      const topic = values.topic ?? fail('--topic is required');
      const avro = new AvroCodec(createRegistry(conn.registry));
      const filter: DlqFilter = {
        ...(values.source === undefined ? {} : { source: values.source }),
        ...(values.type === undefined ? {} : { type: values.type }),
        ...(values.reason === undefined ? {} : { reason: values.reason }),
        ...(values.since === undefined ? {} : { since: date(values.since, '--since')! }),
        ...(values.ids === undefined
          ? {}
          : {
              ids: values.ids
                .split(',')
                .map((s) => s.trim())
                .filter(Boolean),
            }),
      };
      if (sub === 'list') {
        const list = await listDlq(kafka, admin, avro, topic, filter);
        if (values.json) {
          for (const d of list) out(JSON.stringify({ ...d, value: undefined, valueBytes: d.value?.length ?? 0 }));
          return;
        }
        for (const d of list)
          out(
            `${d.id}  ${new Date(d.failedAt).toISOString()}  ${d.stage}  ${d.reason}  attempts=${d.attempts}  source=${d.sourceId ?? '-'}  type=${d.eventType ?? '-'}  ${d.error.slice(0, 120)}`,
          );
        out(`${list.length} record(s)`);
        return;
      }
      if (sub === 'show') {
        const id = arg ?? fail('dlq show needs an id');
        const [d] = await listDlq(kafka, admin, avro, topic, { ids: [id] });
        if (!d) {
          process.stderr.write(`no dead letter ${id} in ${topic}\n`);
          process.exitCode = 1;
          return;
        }
        const text = d.value ? Buffer.from(d.value).toString('utf8') : null;
        const printable = text !== null && !text.includes('\u0000') && !/[\u0001-\u0008]/.test(text);
        out(
          JSON.stringify(
            {
              ...d,
              value: printable ? text : d.value ? Buffer.from(d.value).toString('base64') : null,
              valueEncoding: printable ? 'utf8' : 'base64',
            },
            null,
            2,
          ),
        );
        return;
      }
      if (sub === 'redrive') {
        const ledger = topicName(config.TOPIC_PREFIX, TOPIC.opsEvents);
        const r = await redrive({
          kafka,
          admin,
          avro,
          dlqTopic: topic,
          ledgerTopic: ledger,
          filter,
          dryRun: values['dry-run'] ?? false,
          onProgress: (n, total) => out(`redriven ${n}/${total}`),
        });
        out(
          `${r.chosen} matching, ${r.alreadyRedriven} already redriven earlier, ${r.redriven} redriven now${values['dry-run'] ? ' (dry run)' : ''}`,
        );
        return;
      }
    }
    fail(`unknown command: ${positionals.join(' ')}`);
  } finally {
    await admin.disconnect();
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`hookline: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
