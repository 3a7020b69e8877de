/**
 * AFAS Profit — no webhook mechanism found.
 *
 * AFAS Profit integrates through GetConnectors (pull) and UpdateConnectors (push into AFAS); its docs
 * describe no outbound webhook and no signature. This module is for a sender that posts AFAS data to us
 * (a scheduled export, a workflow step calling a URL, a middleware): a secret token (query `?token=`,
 * header `x-webhook-token`, or path with `tokenInPath`) compared in constant time, after the source's
 * IP allowlist, with the generic JSON mapping of tokenJsonModule (token-json.ts).
 * Residual risk: a static bearer token without integrity or freshness — whoever holds it can forge events.
 * Defaults: eventType `type|event`, resourceType `connector|=afas-record`, resourceId `id|Id|key`; no time
 * field → receivedAt and no cross-request dedupe; NONE ordering unless mapping.version is set.
 * Retry window: unknown → 3 days (project default for unknowns).
 */
import { tokenJsonModule } from '../token-json.ts';
import type { ProviderModule } from '../types.ts';
import { canonicalMapping } from './canonical.ts';

const module = tokenJsonModule(
  'afas',
  'other',
  'AFAS Profit has no webhooks: secret URL token (constant time) + IP allowlist over a generic JSON mapping; a static bearer token — whoever holds it can forge events.',
  { eventType: 'type|event', resourceType: 'connector|=afas-record', resourceId: 'id|Id|key' },
);

export const provider: ProviderModule = { ...module, canonical: canonicalMapping };
export const validateOptions = module.validateOptions;
