/**
 * /v1/replay and /v1/consumer-groups: the operator CLI's replay (services/common/operations/replay.ts)
 * over HTTP. A dry run answers the plan per partition (committed → target offset, messages re-read
 * or skipped); a real run is refused with 409 while the group has active members, because Kafka only
 * resets the offsets of an empty group (stop the service, reset, start it again). Only this
 * deployment's groups (`<GROUP_PREFIX>.<TOPIC_PREFIX>…`) are listed or replayed. Admin keys only.
 */
import { Hono } from 'hono';
import {
  applyReplay,
  groupMembers,
  planReplay,
  type ReplayPlanRow,
  type ReplayTarget,
} from '../../common/operations/replay.ts';
import { requireScope, type AuthVariables } from '../auth.ts';
import { ApiError } from '../errors.ts';
import { logicalTopic, need, physicalTopic, type OperationsDeps } from '../operations.ts';
import { Check, jsonBody, optBool, optInt, optString, parseTime, unknownFields } from '../validate.ts';

const TARGETS = ['datetime', 'offset', 'earliest', 'latest'];

function targetOf(check: Check, raw: unknown): ReplayTarget | undefined {
  if (raw === 'earliest' || raw === 'latest') return { to: raw };
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    check.add('to', `must be an object with one of ${TARGETS.join(', ')}`);
    return undefined;
  }
  const to = raw as Record<string, unknown>;
  const given = Object.keys(to);
  if (given.length !== 1 || !TARGETS.includes(given[0]!)) {
    check.add('to', `give exactly one of ${TARGETS.join(', ')}`);
    return undefined;
  }
  if (to.earliest === true) return { to: 'earliest' };
  if (to.latest === true) return { to: 'latest' };
  if (to.datetime !== undefined) {
    const at = typeof to.datetime === 'string' ? parseTime(check, 'to.datetime', to.datetime) : undefined;
    if (at === undefined && typeof to.datetime !== 'string') check.add('to.datetime', 'must be an ISO 8601 time');
    return at === undefined ? undefined : { to: 'datetime', at: new Date(at) };
  }
  if (to.offset !== undefined) {
    const v = to.offset;
    if ((typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) || (typeof v === 'string' && /^\d{1,19}$/.test(v)))
      return { to: 'offset', offset: BigInt(v) };
    check.add('to.offset', 'must be a non-negative integer');
    return undefined;
  }
  check.add('to', 'earliest and latest take the value true');
  return undefined;
}

const rowView = (r: ReplayPlanRow) => ({
  partition: r.partition,
  current: r.current === null ? null : r.current.toString(),
  target: r.target.toString(),
  low: r.low.toString(),
  high: r.high.toString(),
  reread: r.reread.toString(),
  skipped: r.skipped.toString(),
});

export function replayRoutes(ops: OperationsDeps | undefined) {
  const app = new Hono<{ Variables: AuthVariables }>();

  app.get('/consumer-groups', requireScope('operations:read'), async (c) => {
    const o = need(ops);
    const [{ groups }, figures] = await Promise.all([o.admin.listGroups(), o.lag()]);
    const ids = groups
      .map((g) => g.groupId)
      .filter((g) => g.startsWith(o.groupPrefix))
      .sort();
    const described = ids.length === 0 ? [] : (await o.admin.describeGroups(ids)).groups;
    return c.json({
      data: ids.map((id) => {
        const g = described.find((x) => x.groupId === id);
        return {
          group: id,
          state: g?.state ?? 'Unknown',
          members: g?.members.length ?? 0,
          topics: figures.lag
            .filter((l) => l.group === id)
            .map((l) => ({ topic: logicalTopic(o, l.topic), lag: l.records, committed: l.committed })),
        };
      }),
      at: new Date(figures.at).toISOString(),
    });
  });

  app.post('/replay', requireScope('operations:write'), async (c) => {
    const o = need(ops);
    const body = await jsonBody(c);
    const check = new Check();
    unknownFields(check, body, ['group', 'topic', 'to', 'partition', 'dryRun']);
    const group = optString(check, body, 'group', 300);
    const topicIn = optString(check, body, 'topic', 300);
    if (group === undefined) check.add('group', 'required');
    if (topicIn === undefined) check.add('topic', 'required');
    const target = targetOf(check, body.to);
    const partition = optInt(check, body, 'partition', 0, 100_000);
    const dryRun = optBool(check, body, 'dryRun');
    if (dryRun === undefined) check.add('dryRun', 'required: true to see the plan, false to reset the offsets');
    check.finish();
    if (!group!.startsWith(o.groupPrefix))
      throw new ApiError(
        404,
        'not_found',
        `group ${group} is not a consumer group of this deployment (${o.groupPrefix}…)`,
      );
    const topic = physicalTopic(o, topicIn!);
    if (!(await o.admin.listTopics()).includes(topic))
      throw new ApiError(404, 'not_found', `topic ${logicalTopic(o, topic)} does not exist`);
    let rows: ReplayPlanRow[];
    try {
      rows = await planReplay(o.admin, group!, topic, target!, partition ?? undefined);
    } catch (err) {
      if (err instanceof Error && /has no partition/.test(err.message))
        throw new ApiError(400, 'invalid_request', `partition: ${err.message}`);
      throw err;
    }
    const { state, members } = await groupMembers(o.admin, group!);
    const plan = {
      group,
      topic: logicalTopic(o, topic),
      state,
      members,
      partitions: rows.map(rowView),
      reread: rows.reduce((n, r) => n + r.reread, 0n).toString(),
    };
    if (dryRun) return c.json({ ...plan, dryRun: true, applied: false });
    if (members > 0)
      throw new ApiError(
        409,
        'group_active',
        `group ${group} has ${members} active member(s) (state ${state}): Kafka resets only an empty group; stop its consumers, then replay`,
      );
    await applyReplay(o.admin, group!, topic, rows);
    return c.json({ ...plan, dryRun: false, applied: true });
  });
  return app;
}
