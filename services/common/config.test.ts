import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { listOf } from './config.ts';
import { DOMAINS } from './contracts/index.ts';

describe('listOf', () => {
  const domains = listOf(DOMAINS);
  it('defaults to every allowed value, and reads a comma list', () => {
    assert.deepEqual(domains('PROCESSORS_DOMAINS', {}), DOMAINS);
    assert.deepEqual(domains('PROCESSORS_DOMAINS', { PROCESSORS_DOMAINS: 'payments, crm' }), ['payments', 'crm']);
  });
  it('refuses an item outside the allowed values, naming the variable and the item', () => {
    assert.throws(
      () => domains('PROCESSORS_DOMAINS', { PROCESSORS_DOMAINS: 'payments,paymnets' }),
      /PROCESSORS_DOMAINS items must be among payments, .*got "paymnets"/,
    );
  });
});
