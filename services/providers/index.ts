/**
 * Registry of provider modules by name. Unknown names fail closed (the ingress refuses to start).
 * Adding a provider: its folder, plus one import and one entry here (README "Adding a provider").
 */
import type { ProviderModule } from './types.ts';
import { provider as adobeIo } from './adobe-io/index.ts';
import { provider as afas } from './afas/index.ts';
import { provider as binancePay } from './binance-pay/index.ts';
import { provider as bol } from './bol/index.ts';
import { provider as coinbaseCommerce } from './coinbase-commerce/index.ts';
import { provider as exactOnline } from './exact-online/index.ts';
import { provider as genericHmac } from './generic-hmac/index.ts';
import { provider as github } from './github/index.ts';
import { provider as gitlab } from './gitlab/index.ts';
import { provider as hubspot } from './hubspot/index.ts';
import { provider as mollieSigned } from './mollie-signed/index.ts';
import { provider as mollie } from './mollie/index.ts';
import { provider as myparcel } from './myparcel/index.ts';
import { provider as postnl } from './postnl/index.ts';
import { provider as salesforce } from './salesforce/index.ts';
import { provider as sendcloud } from './sendcloud/index.ts';
import { provider as sharedToken } from './shared-token/index.ts';
import { provider as shopify } from './shopify/index.ts';
import { provider as slack } from './slack/index.ts';
import { provider as standardWebhooks } from './standard-webhooks/index.ts';
import { provider as stripe } from './stripe/index.ts';
import { provider as teams } from './teams/index.ts';
import { provider as tradingview } from './tradingview/index.ts';
import { provider as twilio } from './twilio/index.ts';
import { provider as woocommerce } from './woocommerce/index.ts';

const modules: readonly ProviderModule[] = [
  adobeIo,
  afas,
  binancePay,
  bol,
  coinbaseCommerce,
  exactOnline,
  genericHmac,
  github,
  gitlab,
  hubspot,
  mollieSigned,
  mollie,
  myparcel,
  postnl,
  salesforce,
  sendcloud,
  sharedToken,
  shopify,
  slack,
  standardWebhooks,
  stripe,
  teams,
  tradingview,
  twilio,
  woocommerce,
];

export const providers: ReadonlyMap<string, ProviderModule> = new Map(modules.map((m) => [m.name, m]));

export function getProvider(name: string): ProviderModule | undefined {
  return providers.get(name);
}
