/** Prints the README's per-platform table from the provider modules themselves (so it cannot drift). */
import { providers } from '../services/providers/index.ts';
import type { ProviderModule } from '../services/providers/types.ts';

const days = (s: number) =>
  s >= 86_400 ? `${+(s / 86_400).toFixed(1)} d` : s >= 3600 ? `${+(s / 3600).toFixed(1)} h` : `${s} s`;
const domainsOf = (p: ProviderModule) =>
  [...(p.domainRoutes ?? []).map((r) => `\`${r.eventType}\` → ${r.domain}`), p.domain].join(', ');
process.stdout.write(
  '| provider | signs | what is verified (and residual risk) | duplicate window | domain |\n|---|---|---|---|---|\n',
);
for (const p of [...providers.values()].sort((a, b) => a.name.localeCompare(b.name))) {
  process.stdout.write(
    `| \`${p.name}\` | ${p.signs ? 'yes' : 'no'} | ${p.verification.replace(/\|/g, '\\|').replace(/\n/g, ' ')} | ${days(p.defaultIdempotencyWindowSeconds)} | ${domainsOf(p)} |\n`,
  );
}
