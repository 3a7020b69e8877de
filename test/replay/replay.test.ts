/**
 * Replay by offset reset from the command line: the CLI refuses while the sequencer's group has a
 * member, shows the plan in a dry run, resets the group to a time inside the stream, and the
 * re-read window produces no duplicate on the domain and stale topics.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { topicName } from '../../services/common/topics.ts';
import { collect, type Collector } from '../helpers/collect.ts';
import { eventually, serviceEnv, testKafka, uniquePrefix } from '../helpers/env.ts';
import { envelope, SPECS } from '../sequencer/fixtures.ts';
import {
  avro,
  produceEnvelopes,
  provisionSequencer,
  startSequencerProcess,
  stopProcess,
  type DomainOut,
} from '../sequencer/helpers.ts';

const exec = promisify(execFile);
const CLI = fileURLToPath(new URL('../../scripts/hookline.ts', import.meta.url));
const prefix = uniquePrefix('replay');
const kafka = testKafka('hookline-test-replay');
const t = (l: string) => topicName(prefix, l);
const group = `hookline-test.${prefix}sequencer`;

describe('replay: offset reset through the CLI', () => {
  let outs: Collector[] = [];
  before(async () => {
    await provisionSequencer(prefix);
    outs = [
      await collect(kafka, t('events.commerce')),
      await collect(kafka, t('events.payments')),
      await collect(kafka, t('events.stale')),
    ];
  });
  after(async () => {
    await Promise.all(outs.map((c) => c.stop()));
  });
  const seen = () => outs.reduce((n, c) => n + c.messages.length, 0);

  it('re-reads a window of webhooks.normalized and emits nothing twice', async () => {
    const shop = SPECS.find((s) => s.provider === 'shopify')!;
    const stripe = SPECS.find((s) => s.provider === 'stripe')!;
    const first = [];
    for (let r = 0; r < 20; r++) for (let i = 0; i < 5; i++) first.push(envelope(shop, r, i), envelope(stripe, r, i));
    const second = [];
    for (let r = 0; r < 20; r++) for (let i = 5; i < 8; i++) second.push(envelope(shop, r, i), envelope(stripe, r, i));
    const env = serviceEnv(prefix, { LOG_LEVEL: 'error' });

    let child = startSequencerProcess(prefix, {});
    await produceEnvelopes(kafka, prefix, first);
    await new Promise((r) => setTimeout(r, 1500));
    const middle = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 500));
    await produceEnvelopes(kafka, prefix, second);
    await eventually(() => (seen() >= first.length + second.length ? true : undefined), 90_000, 'all outputs');

    // Refused while the sequencer is a member of its group.
    await assert.rejects(
      exec(process.execPath, [CLI, 'replay', '--group', group, '--topic', t('webhooks.normalized'), '--to-earliest'], {
        env,
      }),
      (err: { stderr: string }) => /active member/.test(err.stderr),
    );
    await stopProcess(child);

    const dry = await exec(
      process.execPath,
      [CLI, 'replay', '--group', group, '--topic', t('webhooks.normalized'), '--to-datetime', middle, '--dry-run'],
      { env },
    );
    assert.match(dry.stdout, /dry run: nothing changed/);
    const total = Number(/total: (\d+) message/.exec(dry.stdout)![1]);
    assert.equal(total, second.length, `dry run counts the window (${dry.stdout})`);

    const applied = await exec(
      process.execPath,
      [CLI, 'replay', '--group', group, '--topic', t('webhooks.normalized'), '--to-datetime', middle, '--wait'],
      { env },
    );
    assert.match(applied.stdout, /reset/);

    const before = seen();
    child = startSequencerProcess(prefix, {});
    try {
      const fresh = [envelope(shop, 99, 0), envelope(stripe, 99, 0)];
      await produceEnvelopes(kafka, prefix, fresh);
      await eventually(
        () => (seen() >= before + fresh.length ? true : undefined),
        90_000,
        'new events after the replay',
      );
      await new Promise((r) => setTimeout(r, 2000));
      assert.equal(seen(), before + fresh.length, 'the replayed window produced nothing');
      const ids = [];
      for (const c of outs) for (const m of c.messages) ids.push((await avro.decode<DomainOut>(m.value!)).eventId);
      assert.equal(new Set(ids).size, ids.length, 'no event twice');
    } finally {
      await stopProcess(child);
    }
  });
});
