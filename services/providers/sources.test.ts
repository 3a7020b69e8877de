/** common/sources.ts validated against the real provider registry (here, because common imports nothing from providers). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getProvider } from './index.ts';
import { validateSources } from '../common/sources.ts';

const ok = (sources: unknown[]) => validateSources({ sources }, getProvider, { STRIPE_SECRET: 'whsec_fromenv' });
const bad = (sources: unknown[], pattern: RegExp) =>
  assert.throws(
    () => ok(sources),
    (e: Error) => pattern.test(e.message),
  );

describe('source validation (fail closed)', () => {
  const cases: [string, unknown[], RegExp][] = [
    ['unknown provider', [{ id: 'x', provider: 'nope', secrets: ['s'] }], /source x: unknown provider "nope"/],
    [
      'signing provider without secret',
      [{ id: 'stripe-eu', provider: 'stripe', secrets: [] }],
      /stripe-eu: provider stripe signs/,
    ],
    [
      'token provider without secret',
      [{ id: 'tv', provider: 'tradingview' }],
      /tv: provider tradingview authenticates with a shared token/,
    ],
    [
      'duplicate id',
      [
        { id: 'a', provider: 'github', secrets: ['s'] },
        { id: 'a', provider: 'github', secrets: ['s'] },
      ],
      /defined twice/,
    ],
    ['bad id', [{ id: 'A B', provider: 'github', secrets: ['s'] }], /id must match/],
    ['missing env secret', [{ id: 'g', provider: 'github', secrets: ['env:NOPE'] }], /secret variable NOPE is not set/],
  ];
  for (const [name, sources, pattern] of cases) it(`refuses: ${name}`, () => bad(sources, pattern));

  it('accepts a valid source and reads env: secrets', () => {
    const [s] = ok([
      {
        id: 'stripe-eu',
        provider: 'stripe',
        secrets: ['env:STRIPE_SECRET', 'whsec_old'],
        options: { toleranceSeconds: 60 },
      },
    ]);
    assert.deepEqual(s!.secrets, ['whsec_fromenv', 'whsec_old']);
    assert.equal(s!.options.toleranceSeconds, 60);
    assert.ok(Object.isFrozen(s));
  });

  it('accepts a token platform with an explicit allowNoSecret', () => {
    assert.equal(ok([{ id: 'tv', provider: 'tradingview', options: { allowNoSecret: true } }]).length, 1);
  });

  it('refuses a file without a sources array', () => {
    assert.throws(() => validateSources({}, getProvider), /"sources" array/);
  });
});
