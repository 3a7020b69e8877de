/**
 * The chaos suite's provider side and customer side.
 *
 * Provider: a steady stream of signed webhooks from two providers with different ordering rules
 * (Stripe payment intents: status rank then time; GitHub issues: updated_at version), per-resource
 * sequences sent mostly in order and sometimes swapped, provider retries of accepted events, and
 * poison payloads (validly signed, not parseable). Like a real provider, anything but 2xx is sent
 * again later (with a fresh signature), so a 503 during an outage must never lose an event.
 *
 * Customer: a receiver whose behaviour the scenario switches (ok | fail: 500 | hang: never answers)
 * and that records every webhook-id it acknowledged.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Sent {
  readonly token: string;
  readonly kind: 'stripe' | 'github' | 'poison';
  readonly resource: string;
  readonly url: string;
  readonly body: string;
  readonly headers: () => Record<string, string>;
  acceptedAt?: number;
  firstSentAt: number;
}

export interface TrafficStats {
  readonly statuses: Map<number, number>;
  networkErrors: number;
  providerRetries: number;
  resends: number;
  backpressureSkips: number;
}

export interface Traffic {
  readonly sent: Map<string, Sent>;
  readonly stats: TrafficStats;
  /** ms from first POST to 2xx, per accepted request. */
  readonly ackLatencies: number[];
  /** A fresh Stripe event for a new resource; resolves with its payment intent id once accepted. */
  probe(): Promise<string>;
  stop(): Promise<void>;
  /** Requests not yet answered 2xx (still being retried). */
  pending(): number;
}

export interface TrafficOptions {
  readonly ingressUrl: string;
  readonly ratePerSecond: number;
  readonly stripe: { source: string; secret: string };
  readonly github: { source: string; secret: string };
}

const STRIPE_STEPS = [
  ['payment_intent.created', 'requires_payment_method'],
  ['payment_intent.processing', 'processing'],
  ['payment_intent.succeeded', 'succeeded'],
] as const;

export function startTraffic(o: TrafficOptions): Traffic {
  const run = randomBytes(3).toString('hex');
  const sent = new Map<string, Sent>();
  const stats: TrafficStats = {
    statuses: new Map(),
    networkErrors: 0,
    providerRetries: 0,
    resends: 0,
    backpressureSkips: 0,
  };
  const ackLatencies: number[] = [];
  const retryQueue: { item: Sent; at: number }[] = [];
  let inFlight = 0;
  let seq = 0;
  let stopped = false;
  const stripeQueue: Sent[] = [];
  const githubQueue: Sent[] = [];

  const stripeSig = (body: string) => {
    const t = Math.floor(Date.now() / 1000);
    return `t=${t},v1=${createHmac('sha256', o.stripe.secret).update(`${t}.${body}`).digest('hex')}`;
  };
  const stripeItem = (token: string, resource: string, body: string, kind: 'stripe' | 'poison'): Sent => ({
    token,
    kind,
    resource,
    url: `${o.ingressUrl}/webhooks/${o.stripe.source}`,
    body,
    headers: () => ({ 'content-type': 'application/json', 'stripe-signature': stripeSig(body) }),
    firstSentAt: 0,
  });

  const newPayment = (now: number): Sent[] => {
    const pi = `pi_chaos_${run}_${seq++}`;
    const t0 = Math.floor(now / 1000);
    return STRIPE_STEPS.map(([type, status], i) => {
      const id = `evt_chaos_${run}_${seq++}`;
      const body = JSON.stringify({
        id,
        object: 'event',
        api_version: '2024-06-20',
        created: t0 + i,
        type,
        livemode: false,
        pending_webhooks: 1,
        request: { id: null, idempotency_key: null },
        data: {
          object: { id: pi, object: 'payment_intent', amount: 1000 + seq, currency: 'eur', status, created: t0 },
        },
      });
      return stripeItem(id, pi, body, 'stripe');
    });
  };

  const newIssue = (now: number): Sent[] => {
    const number = seq++;
    return [0, 1, 2].map((i) => {
      const delivery = `chaos-${run}-${seq++}`;
      const body = JSON.stringify({
        action: i === 0 ? 'opened' : 'edited',
        issue: {
          id: 900_000 + number,
          number,
          title: `chaos ${number} v${i}`,
          state: 'open',
          updated_at: new Date(now + i * 1000).toISOString(),
        },
        repository: { id: 42, full_name: `hookline/chaos-${run}` },
        sender: { login: 'chaos' },
      });
      return {
        token: delivery,
        kind: 'github' as const,
        resource: `issue-${number}`,
        url: `${o.ingressUrl}/webhooks/${o.github.source}`,
        body,
        headers: () => ({
          'content-type': 'application/json',
          'x-github-event': 'issues',
          'x-github-delivery': delivery,
          'x-hub-signature-256': `sha256=${createHmac('sha256', o.github.secret).update(body).digest('hex')}`,
        }),
        firstSentAt: 0,
      };
    });
  };

  const post = async (item: Sent, isRetry: boolean): Promise<void> => {
    inFlight++;
    if (item.firstSentAt === 0) item.firstSentAt = Date.now();
    if (!sent.has(item.token) || item.kind === 'poison') sent.set(item.token, item);
    try {
      const res = await fetch(item.url, {
        method: 'POST',
        headers: item.headers(),
        body: item.body,
        signal: AbortSignal.timeout(20_000),
      });
      await res.body?.cancel();
      stats.statuses.set(res.status, (stats.statuses.get(res.status) ?? 0) + 1);
      if (res.status >= 200 && res.status < 300) {
        if (item.acceptedAt === undefined) {
          item.acceptedAt = Date.now();
          if (!isRetry) ackLatencies.push(item.acceptedAt - item.firstSentAt);
        }
      } else if (res.status >= 500 || res.status === 429) {
        retryQueue.push({ item, at: Date.now() + 2000 });
      }
    } catch {
      stats.networkErrors++;
      retryQueue.push({ item, at: Date.now() + 2000 });
    } finally {
      inFlight--;
    }
  };

  const tick = () => {
    if (stopped) return;
    const now = Date.now();
    for (let i = retryQueue.length - 1; i >= 0; i--) {
      const r = retryQueue[i]!;
      if (r.at <= now && inFlight < 64) {
        retryQueue.splice(i, 1);
        stats.resends++;
        void post(r.item, true);
      }
    }
    if (inFlight >= 64) {
      stats.backpressureSkips++;
      return;
    }
    const roll = Math.random();
    if (roll < 0.04) {
      // A provider retry of an event already accepted: must not become a second event.
      const done = [...sent.values()].filter((s) => s.acceptedAt !== undefined && s.kind !== 'poison');
      const again = done[Math.floor(Math.random() * done.length)];
      if (again) {
        stats.providerRetries++;
        void post(again, true);
        return;
      }
    }
    if (roll < 0.06) {
      const token = `evt_poison_${run}_${seq++}`;
      void post(stripeItem(token, 'poison', `{"id":"${token}","object":"event","type":`, 'poison'), false);
      return;
    }
    const queue = roll < 0.55 ? stripeQueue : githubQueue;
    if (queue.length === 0) queue.push(...(queue === stripeQueue ? newPayment(now) : newIssue(now)));
    // One time in ten the next two steps of a resource arrive swapped (network reordering).
    if (queue.length >= 2 && Math.random() < 0.1) [queue[0], queue[1]] = [queue[1]!, queue[0]!];
    void post(queue.shift()!, false);
  };
  const timer = setInterval(tick, Math.max(1, Math.round(1000 / o.ratePerSecond)));

  return {
    sent,
    stats,
    ackLatencies,
    async probe() {
      const [item] = newPayment(Date.now()).slice(2);
      await post(item!, false);
      while (item!.acceptedAt === undefined) await new Promise((r) => setTimeout(r, 200));
      return item!.resource;
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      // Whatever is still queued is sent (and resent) until accepted: the provider keeps trying.
      for (const q of [stripeQueue, githubQueue]) while (q.length) void post(q.shift()!, false);
      const deadline = Date.now() + 120_000;
      while ((retryQueue.length > 0 || inFlight > 0) && Date.now() < deadline) {
        const now = Date.now();
        for (let i = retryQueue.length - 1; i >= 0; i--) {
          if (retryQueue[i]!.at <= now) void post(retryQueue.splice(i, 1)[0]!.item, true);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    pending: () => retryQueue.length + inFlight,
  };
}

export type ReceiverMode = 'ok' | 'fail' | 'hang';

export interface Received {
  readonly webhookId: string;
  readonly resourceKey: string;
  readonly type: string;
  readonly at: number;
}

export interface Receiver {
  readonly url: string;
  mode: ReceiverMode;
  /** Deliveries answered 2xx, in arrival order (re-deliveries included). */
  readonly acked: Received[];
  failedAnswers: number;
  hungRequests: number;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const hung = new Set<ServerResponse>();
  const r: Receiver = {
    url: '',
    mode: 'ok',
    acked: [],
    failedAnswers: 0,
    hungRequests: 0,
    close: async () => {
      for (const res of hung) res.destroy();
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    },
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (r.mode === 'hang') {
        r.hungRequests++;
        hung.add(res);
        return;
      }
      if (r.mode === 'fail') {
        r.failedAnswers++;
        res.writeHead(500).end('chaos: failing on purpose');
        return;
      }
      let type = '';
      let resourceKey = '';
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          type?: string;
          data?: { resourceKey?: string; id?: string };
        };
        type = String(body.type);
        // Outbound data is the canonical record (entity id) where the provider has a mapping, else the
        // resource view (resourceKey): either names the resource the probe looks for.
        resourceKey = String(body.data?.resourceKey ?? body.data?.id ?? '');
      } catch {
        /* recorded with empty fields */
      }
      r.acked.push({ webhookId: String(req.headers['webhook-id']), resourceKey, type, at: Date.now() });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  (r as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  const release = () => {
    for (const res of hung) res.destroy();
    hung.clear();
  };
  let mode: ReceiverMode = 'ok';
  Object.defineProperty(r, 'mode', {
    get: () => mode,
    set: (m: ReceiverMode) => {
      mode = m;
      if (m !== 'hang') release();
    },
  });
  return r;
}
