/**
 * PostNL — no webhook specification found.
 *
 * PostNL publishes shipment/status APIs to poll, not a documented webhook with a signature; in practice
 * PostNL track-and-trace events reach shops through Sendcloud or MyParcel (use those modules). This module
 * exists for a sender that posts PostNL-shaped JSON to us (a middleware, an own integration): it offers
 * the strongest scheme an unsigned sender allows — a secret token (query `?token=`, header
 * `x-webhook-token`, or last path segment with `tokenInPath`) compared in constant time against the
 * source secrets, after the source's IP allowlist — and a generic JSON mapping (see token-json.ts).
 * Residual risk: a static bearer token, no integrity or freshness: anyone holding it can forge events.
 *
 * Dedupe key / ordering / occurredAt: from options.mapping (tokenJsonModule doc). Defaults: eventType
 * `type`, resourceType `shipment`, resourceId `id` (or `barcode`), no time → receivedAt, dedupe
 * `(eventType, resourceId, time)` — with no time field that is the receive time, i.e. no cross-request
 * dedupe; ordering VERSION by mapping.version when set, else NONE.
 * Retry window: unknown → 3 days (project default for unknowns).
 */
import { tokenJsonModule } from '../token-json.ts';
import type { ProviderModule } from '../types.ts';
import { canonicalMapping } from './canonical.ts';

const module = tokenJsonModule(
  'postnl',
  'logistics',
  'No PostNL webhook spec exists: secret URL token (constant time) + IP allowlist over a generic JSON mapping; a static bearer token — whoever holds it can forge events.',
  { eventType: 'type|event', resourceType: '=shipment', resourceId: 'id|barcode' },
);

export const provider: ProviderModule = { ...module, canonical: canonicalMapping };
export const validateOptions = module.validateOptions;
