/**
 * Operational webhooks on the real stack: an endpoint that answers 410 is disabled by the
 * dispatcher, which writes endpoint.disabled to ops.events; the dispatcher's operational consumer
 * sends it, signed with the operational secret (verified by the standardwebhooks library), to the
 * configured operational endpoint, which first fails once (retried, same webhook-id). The
 * endpoint's tenant has its own operational endpoint too (stored by the admin under the shared
 * contract key): it receives the same event, signed with the tenant's secret, carrying the tenant
 * and the endpoint's console link (ADMIN_PUBLIC_URL/console/endpoints/{id}).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { tenantKeys, type TenantOperationalWebhook } from '../../services/common/contracts/tenant.ts';
import type { RunningService } from '../../services/common/service.ts';
import { eventually, testKafka, uniquePrefix } from '../helpers/env.ts';
import { event, kit, receiver, startInProcess, type Kit, type Receiver } from './helpers.ts';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const TENANT_SECRET = 'whsec_dGVuYW50LW9wcy1zZWNyZXQtMDEyMzQ1Njc4OQ==';
const CONSOLE = 'https://console.example.test';
let k: Kit;
let svc: RunningService;
let gone: Receiver;
let ops: Receiver;
let tenantOps: Receiver;
const seen: string[] = [];

describe('dispatcher: operational webhooks', () => {
  before(async () => {
    k = await kit(uniquePrefix('dsp-operational'));
    gone = await receiver(() => ({ status: 410 }));
    ops = await receiver((req, _body, n) => {
      seen.push(String(req.headers['webhook-id']));
      return { status: n === 0 ? 503 : 204 };
    });
    ops.secrets = [SECRET];
    tenantOps = await receiver();
    tenantOps.secrets = [TENANT_SECRET];
    const own: TenantOperationalWebhook = { url: tenantOps.url, enabled: true, secret: TENANT_SECRET, updatedAt: 0 };
    await k.redis.set(tenantKeys(k.redisPrefix).operational('acme'), JSON.stringify(own));
    svc = await startInProcess(k, {
      DISPATCHER_OPERATIONAL_WEBHOOK_URL: ops.url,
      DISPATCHER_OPERATIONAL_WEBHOOK_SECRET: SECRET,
      ADMIN_PUBLIC_URL: CONSOLE,
    });
    // The operational group starts at the end of ops.events: wait until it has joined.
    const admin = testKafka().admin();
    await admin.connect();
    const group = `hookline-test.${k.prefix}dispatcher.operational`;
    await eventually(
      async () => {
        const { groups } = await admin.describeGroups([group]);
        return groups[0]?.state === 'Stable' ? true : undefined;
      },
      60_000,
      'the operational consumer group',
    );
    await admin.disconnect();
  });
  after(async () => {
    await svc?.stop();
    await Promise.all([gone?.close(), ops?.close(), tenantOps?.close()]);
    await k?.close();
  });

  it('tells the operational endpoint, signed, when an endpoint is disabled (retrying a failed POST)', async () => {
    const ep = await k.store.create({
      url: gone.url,
      description: 'answers 410',
      eventTypes: ['payment.succeeded'],
      headers: {},
      rateLimitPerSecond: null,
      tenantId: 'acme',
    });
    await k.send([{ ...event('r', 0), endpointId: ep.id }]);
    const got = await eventually(() => ops.got[0], 60_000, 'the operational webhook');
    assert.deepEqual(got.verifiedBy, [0], 'signed with the operational secret');
    const body = JSON.parse(got.body) as { id: string; type: string; timestamp: string; data: Record<string, string> };
    assert.equal(body.type, 'endpoint.disabled');
    assert.equal(body.data.endpointId, ep.id);
    assert.equal(body.data.reason, 'gone');
    assert.equal(got.headers['webhook-id'], body.id);
    assert.ok(seen.length >= 2 && seen[0] === seen[1], `retried with the same webhook-id: ${seen.join(', ')}`);
    assert.equal(body.data.tenantId, 'acme');
    assert.equal(body.data.consoleUrl, `${CONSOLE}/console/endpoints/${ep.id}`);

    // The tenant's own operational endpoint: the same event, signed with the tenant's secret.
    const mine = await eventually(() => tenantOps.got[0], 60_000, 'the tenant operational webhook');
    assert.deepEqual(mine.verifiedBy, [0], 'signed with the tenant’s operational secret');
    const tb = JSON.parse(mine.body) as { id: string; type: string; data: Record<string, string> };
    assert.equal(tb.id, body.id);
    assert.equal(tb.type, 'endpoint.disabled');
    assert.equal(tb.data.endpointId, ep.id);
    assert.equal(tb.data.consoleUrl, `${CONSOLE}/console/endpoints/${ep.id}`);
  });
});
