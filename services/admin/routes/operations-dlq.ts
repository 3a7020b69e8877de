/**
 * /v1/dead-letters: list, show and redrive the records of the dead-letter topics (webhooks.dlq,
 * processors.dlq, outbound.dlq), over the same code as the operator CLI
 * (services/common/operations/dlq.ts), so redrive keeps its exactly-once ledger in ops.events.
 * A DLQ is read to its end on every call (a throwaway read_committed consumer): DLQs are small and
 * rare by design, and the answer is then exactly what a redrive would see. Admin keys only.
 * Ids contain "/" (`<topic>/<partition>/<offset>[/<handler>]`): URL-encode them in the path.
 */
import { Hono } from 'hono';
import { TOPIC } from '../../common/contracts/index.ts';
import { listDlq, redrive, type DlqEntry, type DlqFilter } from '../../common/operations/dlq.ts';
import { requireScope, type AuthVariables } from '../auth.ts';
import { ApiError } from '../errors.ts';
import { logicalTopic, need, physicalTopic, type OperationsDeps } from '../operations.ts';
import { Check, jsonBody, optBool, optString, parseTime, queryLimit, unknownFields } from '../validate.ts';

export const DLQ_TOPICS = [TOPIC.rawDlq, TOPIC.processorsDlq, TOPIC.outboundDlq] as const;
const EXCERPT = 200;
const iso = (ms: number) => new Date(ms).toISOString();

/** The bytes as text when they are valid UTF-8 without control characters other than whitespace. */
export function utf8Of(b: Buffer | null): string | null {
  if (b === null) return null;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(b);
    return /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(text) ? null : text;
  } catch {
    return null;
  }
}

const summary = (o: OperationsDeps, d: DlqEntry) => {
  const text = utf8Of(d.value);
  return {
    id: d.id,
    stage: d.stage,
    reason: d.reason,
    error: d.error.slice(0, 300),
    source: d.sourceId,
    type: d.eventType,
    resourceKey: d.key,
    sourceTopic: logicalTopic(o, d.sourceTopic),
    attempts: d.attempts,
    time: iso(d.failedAt),
    bytes: d.value?.length ?? 0,
    excerpt: text === null ? null : text.slice(0, EXCERPT),
    traceId: d.traceId,
  };
};

function dlqTopicOf(o: OperationsDeps, check: Check, raw: unknown): string {
  if (typeof raw !== 'string' || raw === '') {
    check.add('topic', `required: one of ${DLQ_TOPICS.join(', ')}`);
    return '';
  }
  const logical = logicalTopic(o, physicalTopic(o, raw));
  if (!(DLQ_TOPICS as readonly string[]).includes(logical)) {
    check.add('topic', `must be one of ${DLQ_TOPICS.join(', ')}`);
    return '';
  }
  return physicalTopic(o, logical);
}

const cursorOf = (d: DlqEntry) => Buffer.from(`${d.failedAt}~${d.id}`).toString('base64url');
const order = (a: DlqEntry, b: DlqEntry) => a.failedAt - b.failedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export function deadLetterRoutes(ops: OperationsDeps | undefined) {
  const app = new Hono<{ Variables: AuthVariables }>();

  app.get('/', requireScope('operations:read'), async (c) => {
    const o = need(ops);
    const q = c.req.query();
    const check = new Check();
    const topic = dlqTopicOf(o, check, q.topic);
    const limit = queryLimit(check, q.limit);
    const since = parseTime(check, 'since', q.since);
    let after: { at: number; id: string } | undefined;
    if (q.cursor !== undefined) {
      const m = /^(\d+)~(.+)$/.exec(Buffer.from(q.cursor, 'base64url').toString('utf8'));
      if (m) after = { at: Number(m[1]), id: m[2]! };
      else check.add('cursor', 'is not a cursor this API returned');
    }
    check.finish();
    const filter: DlqFilter = {
      ...(q.source ? { source: q.source } : {}),
      ...(q.type ? { type: q.type } : {}),
      ...(q.reason ? { reason: q.reason } : {}),
      ...(since === undefined ? {} : { since: new Date(since) }),
    };
    const all = (await listDlq(o.kafka, o.admin, o.avro, topic, filter)).sort(order);
    const rest = after ? all.filter((d) => d.failedAt > after.at || (d.failedAt === after.at && d.id > after.id)) : all;
    const page = rest.slice(0, limit);
    return c.json({
      topic: logicalTopic(o, topic),
      total: all.length,
      data: page.map((d) => ({ ...summary(o, d), topic: logicalTopic(o, topic) })),
      nextCursor: rest.length > limit && page.length > 0 ? cursorOf(page[page.length - 1]!) : null,
    });
  });

  app.post('/redrive', requireScope('operations:write'), async (c) => {
    const o = need(ops);
    const body = await jsonBody(c);
    const check = new Check();
    unknownFields(check, body, ['topic', 'reason', 'source', 'type', 'since', 'ids', 'dryRun']);
    const topic = dlqTopicOf(o, check, body.topic);
    const reason = optString(check, body, 'reason', 200);
    const source = optString(check, body, 'source', 200);
    const type = optString(check, body, 'type', 200);
    const since = parseTime(check, 'since', body.since);
    const dryRun = optBool(check, body, 'dryRun');
    if (dryRun === undefined) check.add('dryRun', 'required: true to count first, false to redrive');
    let ids: string[] | undefined;
    if (body.ids !== undefined) {
      if (
        !Array.isArray(body.ids) ||
        body.ids.length === 0 ||
        body.ids.length > 10_000 ||
        !body.ids.every((x) => typeof x === 'string' && x.length > 0 && x.length <= 500)
      )
        check.add('ids', 'must be a non-empty array of at most 10000 dead-letter ids');
      else ids = body.ids as string[];
    }
    check.finish();
    const r = await redrive({
      kafka: o.kafka,
      admin: o.admin,
      avro: o.avro,
      dlqTopic: topic,
      ledgerTopic: o.topic(TOPIC.opsEvents),
      filter: {
        ...(reason === undefined ? {} : { reason }),
        ...(source === undefined ? {} : { source }),
        ...(type === undefined ? {} : { type }),
        ...(since === undefined ? {} : { since: new Date(since) }),
        ...(ids === undefined ? {} : { ids }),
      },
      dryRun: dryRun === true,
    });
    return c.json({
      topic: logicalTopic(o, topic),
      dryRun: dryRun === true,
      matching: r.chosen,
      alreadyRedriven: r.alreadyRedriven,
      ...(dryRun === true ? { wouldRedrive: r.ids.length } : { redriven: r.redriven }),
      ids: r.ids,
    });
  });

  app.get('/:id', requireScope('operations:read'), async (c) => {
    const o = need(ops);
    const check = new Check();
    const topic = dlqTopicOf(o, check, c.req.query('topic'));
    check.finish();
    const id = c.req.param('id');
    const [d] = await listDlq(o.kafka, o.admin, o.avro, topic, { ids: [id] });
    if (!d) throw new ApiError(404, 'not_found', `dead letter ${id} is not in ${logicalTopic(o, topic)}`);
    return c.json({
      ...summary(o, d),
      topic: logicalTopic(o, topic),
      error: d.error,
      sourcePartition: d.sourcePartition,
      sourceOffset: d.sourceOffset,
      dlqPartition: d.dlqPartition,
      dlqOffset: d.dlqOffset,
      headers: d.headers,
      valueBase64: d.value === null ? null : d.value.toString('base64'),
      valueUtf8: utf8Of(d.value),
    });
  });
  return app;
}
