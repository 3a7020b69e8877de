import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalFor, entity, fixtureText } from '../canonical-testing.ts';
import { provider } from './index.ts';

const body = fixtureText('teams', 'message.json');
const conversation =
  'a:17I0kl9EkpE1O9PH5TWrzrLNwnWWcfrU7QZjKR0WSfOpzbfcAg2IaydGElSo10tVr4C7Fc6GtieTJX663WuJCc1uA83n4CSrHSgGBj5XNYLcVlJAs2ZX8DbYBPck201w-';

describe('teams canonical records', () => {
  it('message fixture → Message, field by field', () => {
    const m = entity(canonicalFor(provider, body), 'message');
    assert.deepEqual(m, {
      id: '1485983408511',
      channel: `teams:${conversation}`,
      direction: 'inbound',
      from: '29:1XJKJMvc5GBtc2JwZq0oj8tHZmzrQgFmB39ATiQWA85gQtHieVkKilBZ9XHoq9j7Zaqt7CZ-NJWi7me2kHTL3Bw',
      to: '28:c9e8c047-2a74-40a2-b28a-b162d5f5327c',
      status: 'received',
      providerStatus: 'message',
      text: 'Hello Teams TestBot',
    });
  });
  it('other activity types are not messages', () => {
    const a = { ...(JSON.parse(body.toString()) as Record<string, unknown>), type: 'conversationUpdate' };
    assert.equal(canonicalFor(provider, JSON.stringify(a)), null);
  });
});
