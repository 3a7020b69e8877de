/** Registry of provider modules by name. Unknown names fail closed (the ingress refuses to start). */
import type { ProviderModule } from './types.ts';
// -- group A imports
import { provider as github } from './github/index.ts';
import { provider as standardWebhooks } from './standard-webhooks/index.ts';
import { provider as stripe } from './stripe/index.ts';
// -- end group A imports
// -- group B imports
// -- end group B imports

const modules: readonly ProviderModule[] = [
  // -- group A modules
  stripe,
  github,
  standardWebhooks,
  // -- end group A modules
  // -- group B modules
  // -- end group B modules
];

export const providers: ReadonlyMap<string, ProviderModule> = new Map(modules.map((m) => [m.name, m]));

export function getProvider(name: string): ProviderModule | undefined {
  return providers.get(name);
}
