/**
 * Schema evolution on the real registry. A producer with a newer BACKWARD-compatible schema (an
 * optional field with a default) and a consumer still on the old one both work, in both
 * directions; an incompatible change is refused by the registry, and `npm run setup` (the real
 * script, as a process) exits non-zero and says which file, which subject and why.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import avro from 'avsc';
import { AvroCodec, createRegistry, registerSchemas, SCHEMA_DIR } from '../../services/common/schemas.ts';
import { TOPICS } from '../../services/common/topics.ts';
import { stackConfig, uniquePrefix } from '../helpers/env.ts';
import { ROOT } from '../helpers/services.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'hookline-schemas-'));
const DLQ = TOPICS.filter((t) => t.name === 'webhooks.dlq');
const v1Text = readFileSync(`${SCHEMA_DIR}dlq.avsc`, 'utf8');
const v1 = JSON.parse(v1Text) as { fields: object[] };
const letter = {
  id: 'webhooks.raw/0/7',
  stage: 'validator',
  reason: 'unparseable',
  error: 'bad json',
  attempts: 1,
  sourceTopic: 'webhooks.raw',
  sourcePartition: 0,
  sourceOffset: 7,
  sourceId: 'stripe-test',
  eventType: null,
  key: 'k',
  value: Buffer.from('{"x":'),
  headers: { a: 'b' },
  traceId: null,
  failedAt: 1_700_000_000_000,
};

describe('schema evolution (real registry)', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('newer compatible producer and older consumer both work, both ways', async () => {
    const prefix = uniquePrefix('schema-ok');
    const subject = `${prefix}webhooks.dlq-value`;
    const [old] = await registerSchemas(stackConfig.SCHEMA_REGISTRY_URL, prefix, DLQ);
    const oldCodec = new AvroCodec(createRegistry(stackConfig.SCHEMA_REGISTRY_URL));
    const writtenByOld = await oldCodec.encode(`${prefix}webhooks.dlq`, letter);

    const v2 = { ...v1, fields: [...v1.fields, { name: 'redriveCount', type: 'int', default: 0 }] };
    writeFileSync(join(dir, 'dlq.avsc'), JSON.stringify(v2));
    const [newer] = await registerSchemas(stackConfig.SCHEMA_REGISTRY_URL, prefix, DLQ, `${dir}/`);
    assert.notEqual(newer!.id, old!.id, `a second version of ${subject}`);
    const newCodec = new AvroCodec(createRegistry(stackConfig.SCHEMA_REGISTRY_URL));
    const writtenByNew = await newCodec.encode(`${prefix}webhooks.dlq`, { ...letter, redriveCount: 3 });
    assert.equal(writtenByNew.readUInt32BE(1), newer!.id, 'the new producer writes with the new schema id');

    // The old consumer reads with its own (v1) schema as reader, the writer's schema from the registry.
    const reader = avro.Type.forSchema(v1 as avro.Schema);
    const writer = avro.Type.forSchema((await newCodec.registry.getSchema(newer!.id)) as unknown as avro.Schema);
    const seenByOld = reader.fromBuffer(writtenByNew.subarray(5), reader.createResolver(writer)) as typeof letter;
    assert.equal(seenByOld.reason, 'unparseable');
    assert.deepEqual(Buffer.from(seenByOld.value), letter.value);
    assert.equal(
      (seenByOld as Record<string, unknown>).redriveCount,
      undefined,
      'the old consumer ignores the new field',
    );

    // The new consumer reads what the old producer wrote: the default fills the new field.
    const newReader = avro.Type.forSchema(v2 as avro.Schema);
    const oldWriter = avro.Type.forSchema(v1 as avro.Schema);
    const seenByNew = newReader.fromBuffer(writtenByOld.subarray(5), newReader.createResolver(oldWriter)) as Record<
      string,
      unknown
    >;
    assert.equal(seenByNew.redriveCount, 0);
    assert.equal(seenByNew.stage, 'validator');
  });

  it('an incompatible change is refused by the registry, and `npm run setup` says so clearly', async () => {
    const prefix = uniquePrefix('schema-bad');
    // What is registered lacks `reason`; the repository's dlq.avsc requires it without a default,
    // so it cannot read records written before: not BACKWARD compatible.
    const older = { ...v1, fields: v1.fields.filter((f) => (f as { name: string }).name !== 'reason') };
    writeFileSync(join(dir, 'dlq.avsc'), JSON.stringify(older));
    await registerSchemas(stackConfig.SCHEMA_REGISTRY_URL, prefix, DLQ, `${dir}/`);

    await assert.rejects(
      registerSchemas(stackConfig.SCHEMA_REGISTRY_URL, prefix, DLQ),
      /dlq\.avsc is not BACKWARD compatible with the latest version of .*webhooks\.dlq-value/,
    );
    const setup = await run(process.execPath, [`${ROOT}scripts/setup.ts`], {
      env: { ...process.env, TOPIC_PREFIX: prefix, LOG_LEVEL: 'warn' },
      timeout: 120_000,
    }).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );
    assert.equal(setup.code, 1, 'setup exits 1');
    assert.match(
      setup.stderr,
      new RegExp(
        `setup failed: schema dlq\\.avsc is not BACKWARD compatible with the latest version of ${prefix.replace(/\./g, '\\.')}webhooks\\.dlq-value`,
      ),
    );
  });
});
