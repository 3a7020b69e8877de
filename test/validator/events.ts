/**
 * A realistic, reproducible stream of webhooks.raw records for the validator's integration test,
 * kill test and benchmark: documented example payloads of Stripe, GitHub and Standard Webhooks
 * (test/fixtures/<provider>/), each made a distinct event; provider duplicates (same event, later
 * offset, sometimes another raw key so they land on another partition); poison records.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { eventIdOf } from '../../services/common/ids.ts';
import type { OutRecord } from '../../services/common/kafka/types.ts';
import { toRawRecord, type RawInput } from '../../services/common/raw.ts';
import { rng } from '../helpers/rng.ts';
export { rng };

export const SOURCES_FILE = fileURLToPath(new URL('../fixtures/validator/sources.json', import.meta.url));
const FIX = fileURLToPath(new URL('../fixtures/', import.meta.url));
const json = <T>(p: string) => JSON.parse(readFileSync(`${FIX}${p}`, 'utf8')) as T;

interface StripeEvent {
  id: string;
  data: { object: { id: string; object: string } };
}
interface GithubIssueEvent {
  issue: { number: number; updated_at: string };
  repository: { full_name: string };
}
interface SwEvent {
  data: { id: string };
}
const stripePi = json<StripeEvent>('stripe/payment_intent.succeeded.json');
const stripeSi = json<StripeEvent>('stripe/setup_intent.created.json');
const ghIssue = json<GithubIssueEvent>('github/issues.opened.json');
const swContact = json<SwEvent>('standard-webhooks/contact.created.json');

type Input = Omit<RawInput, 'topic'>;

export interface GoodEvent {
  readonly input: Input;
  readonly eventId: string;
}

/** The i-th distinct event of the mix (≈ 45% Stripe, 30% GitHub, 25% Standard Webhooks). */
export function goodEvent(i: number, tag: string, receivedAt = new Date()): GoodEvent {
  const k = i % 20;
  const resource = `r${i % 97}`; // several events per resource, spread over partitions
  if (k < 9) {
    const base = k % 3 === 0 ? stripeSi : stripePi;
    const ev = structuredClone(base);
    ev.id = `evt_${tag}_${i}`;
    ev.data.object.id = `${ev.data.object.object.slice(0, 2)}_${tag}_${resource}`;
    return {
      eventId: eventIdOf('stripe-v', ev.id),
      input: {
        sourceId: 'stripe-v',
        provider: 'stripe',
        body: Buffer.from(JSON.stringify(ev)),
        contentType: 'application/json',
        requestHeaders: {
          'content-type': 'application/json',
          'stripe-signature': `t=${Math.floor(receivedAt.getTime() / 1000)},v1=${'ab'.repeat(32)}`,
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        },
        receivedAt,
        deliveryId: ev.id,
        resourceType: ev.data.object.object,
        resourceId: ev.data.object.id,
      },
    };
  }
  if (k < 15) {
    const ev = structuredClone(ghIssue);
    ev.issue.number = i % 97;
    ev.issue.updated_at = new Date(Date.parse('2024-01-01T00:00:00Z') + i * 1000).toISOString();
    const delivery = `${tag}-gh-${i}`;
    return {
      eventId: eventIdOf('github-v', delivery),
      input: {
        sourceId: 'github-v',
        provider: 'github',
        body: Buffer.from(JSON.stringify(ev)),
        contentType: 'application/json',
        requestHeaders: {
          'content-type': 'application/json',
          'x-github-event': 'issues',
          'x-github-delivery': delivery,
          'x-hub-signature-256': `sha256=${'cd'.repeat(32)}`,
          'user-agent': 'GitHub-Hookshot/044aadd',
        },
        receivedAt,
        deliveryId: delivery,
        resourceType: 'issue',
        resourceId: `${ev.repository.full_name}#${ev.issue.number}`,
      },
    };
  }
  const ev = structuredClone(swContact);
  ev.data.id = `${tag}-contact-${resource}`;
  const id = `msg_${tag}_${i}`;
  return {
    eventId: eventIdOf('sw-v', id),
    input: {
      sourceId: 'sw-v',
      provider: 'standard-webhooks',
      body: Buffer.from(JSON.stringify(ev)),
      contentType: 'application/json',
      requestHeaders: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(receivedAt.getTime() / 1000)),
        'webhook-signature': 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=',
      },
      receivedAt,
      deliveryId: id,
      resourceType: 'contact',
      resourceId: ev.data.id,
    },
  };
}

export const POISON_REASONS = ['unparseable', 'missing_field', 'unknown_source'] as const;

/** A record that must end in the DLQ with `reason`. */
export function poisonEvent(i: number, tag: string): { input: Input; reason: (typeof POISON_REASONS)[number] } {
  const kind = POISON_REASONS[i % POISON_REASONS.length]!;
  const good = goodEvent(i, `${tag}p`).input;
  if (kind === 'unparseable')
    return {
      reason: kind,
      input: {
        ...good,
        sourceId: 'stripe-v',
        provider: 'stripe',
        body: Buffer.from(`{"id":"evt_${tag}_poison_${i}","type":`),
      },
    };
  if (kind === 'missing_field')
    return {
      reason: kind,
      input: {
        ...good,
        sourceId: 'stripe-v',
        provider: 'stripe',
        body: Buffer.from(JSON.stringify({ id: `evt_${tag}_nf_${i}`, type: 'charge.succeeded' })),
      },
    };
  return { reason: kind, input: { ...good, sourceId: 'deleted-source' } };
}

export interface Stream {
  readonly records: OutRecord[];
  /** Event ids that must come out, exactly once each. */
  readonly expected: Set<string>;
  readonly duplicates: number;
  /** Raw record index in `records` → DLQ reason. */
  readonly poison: Map<number, string>;
}

/**
 * `distinct` events, plus `dupRate` of them sent again later (a provider retry: same bytes, later
 * offset; half of them under the delivery key instead of the resource key, so on another
 * partition), plus `poisonRate` poison records.
 */
export function makeStream(
  topic: string,
  o: { distinct: number; dupRate: number; poisonRate: number; seed: number; tag: string },
): Stream {
  const rand = rng(o.seed);
  const records: OutRecord[] = [];
  const expected = new Set<string>();
  const poison = new Map<number, string>();
  const sent: GoodEvent[] = [];
  let duplicates = 0;
  let p = 0;
  for (let i = 0; i < o.distinct; i++) {
    const g = goodEvent(i, o.tag);
    sent.push(g);
    expected.add(g.eventId);
    records.push(toRawRecord({ ...g.input, topic }));
    if (rand() < o.dupRate) {
      // A retry of an event sent up to ~300 records ago (often in the same chunk, sometimes far).
      const prev = sent[Math.max(0, sent.length - 1 - Math.floor(rand() * 300))]!;
      const { resourceType: _t, resourceId: _r, ...noResource } = prev.input;
      records.push(toRawRecord({ ...(rand() < 0.5 ? prev.input : noResource), receivedAt: new Date(), topic }));
      duplicates++;
    }
    if (rand() < o.poisonRate) {
      const bad = poisonEvent(p++, o.tag);
      poison.set(records.length, bad.reason);
      records.push(toRawRecord({ ...bad.input, topic }));
    }
  }
  return { records, expected, duplicates, poison };
}
