/**
 * Prints the README's canonical-record section from the code itself: the fields of each record
 * (schemas/canonical.avsc) and which provider fills which field (each provider's canonical.ts
 * `fills`, which the mapping tests hold every fixture to). `--check README.md` exits 1 when the
 * README's copy differs (run in the lint step).
 */
import { readFileSync } from 'node:fs';
import type { Entity } from '../services/common/canonical.ts';
import { SCHEMA_DIR } from '../services/common/schemas.ts';
import { providers } from '../services/providers/index.ts';

export const DOMAINS: readonly (readonly [string, readonly Entity[]])[] = [
  ['payments', ['payment', 'refund', 'dispute', 'payout']],
  ['commerce', ['order']],
  ['logistics', ['shipment']],
  ['messaging', ['message']],
  ['trading', ['signal', 'trade']],
  ['devops', ['change', 'pipeline', 'deployment']],
  ['crm', ['contact', 'company', 'deal']],
];
/** Filled by every mapping of the entity (required by the builder). */
const ALWAYS = new Set(['id', 'status', 'change', 'direction', 'side']);

interface AvroField {
  name: string;
  type: unknown;
  doc?: string;
}

function typeName(t: unknown): string {
  if (typeof t === 'string') return t.split('.').pop() ?? t;
  if (Array.isArray(t))
    return t
      .filter((x) => x !== 'null')
      .map(typeName)
      .join(' | ');
  const o = t as { type: string; name?: string; items?: unknown; values?: unknown; logicalType?: string };
  if (o.logicalType) return o.logicalType;
  if (o.type === 'array') return `${typeName(o.items)}[]`;
  if (o.type === 'map') return `map<${typeName(o.values)}>`;
  if (o.type === 'enum') return `${o.name} enum`;
  return o.name ?? o.type;
}

export function canonicalSection(): string {
  const schema = JSON.parse(readFileSync(`${SCHEMA_DIR}canonical.avsc`, 'utf8')) as { fields: AvroField[] };
  const records = new Map<string, AvroField[]>();
  for (const f of schema.fields) {
    const rec = Array.isArray(f.type) ? (f.type as unknown[]).find((x) => typeof x === 'object') : undefined;
    if (rec) records.set(f.name, (rec as { fields: AvroField[] }).fields);
  }
  // Records referenced by name after their first definition (Contact → Company, Deal share the shape).
  const out: string[] = [];
  for (const [domain, entities] of DOMAINS) {
    out.push(`### events.${domain}`, '');
    for (const entity of entities) {
      const fields = records.get(entity) ?? [];
      const mappers = [...providers.values()]
        .filter((p) => p.canonical?.fills[entity] !== undefined)
        .sort((a, b) => a.name.localeCompare(b.name));
      out.push(
        `**${entity[0]!.toUpperCase()}${entity.slice(1)}** — filled by ${mappers.map((p) => `\`${p.name}\``).join(', ') || 'no provider yet'}`,
        '',
      );
      out.push(`| field | type | ${mappers.map((p) => p.name).join(' | ')} |`);
      out.push(`|---|---|${mappers.map(() => '---|').join('')}`);
      for (const f of fields) {
        const cells = mappers.map((p) =>
          ALWAYS.has(f.name) || p.canonical?.fills[entity]?.includes(f.name) ? '✓' : '',
        );
        out.push(`| \`${f.name}\` | ${typeName(f.type).replace(/\|/g, '\\|')} | ${cells.join(' | ')} |`);
      }
      out.push('');
    }
  }
  return out.join('\n');
}

const BEGIN = '<!-- canonical-tables:begin -->';
const END = '<!-- canonical-tables:end -->';

if (import.meta.main) {
  const check = process.argv.indexOf('--check');
  if (check >= 0) {
    const readme = readFileSync(process.argv[check + 1] ?? 'README.md', 'utf8');
    const current = readme.slice(readme.indexOf(BEGIN) + BEGIN.length, readme.indexOf(END)).trim();
    if (current !== canonicalSection().trim()) {
      process.stderr.write('README canonical tables are stale: run node scripts/canonical-table.ts\n');
      process.exit(1);
    }
  } else process.stdout.write(`${canonicalSection()}\n`);
}
