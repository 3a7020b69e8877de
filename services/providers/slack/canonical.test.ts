import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalFor, entity, fixtureText } from '../canonical-testing.ts';
import { provider } from './index.ts';

const FORM = { contentType: 'application/x-www-form-urlencoded' };

describe('slack canonical records', () => {
  it('event_callback.app_mention fixture → Message, field by field', () => {
    const m = entity(canonicalFor(provider, fixtureText('slack', 'event_callback.app_mention.json')), 'message');
    assert.deepEqual(m, {
      id: 'C123ABC456:1515449522.000016',
      channel: 'slack:C123ABC456',
      direction: 'inbound',
      from: 'U123ABC456',
      to: null,
      status: 'received',
      providerStatus: 'app_mention',
      text: 'What is the hour of the pearl, <@U0LAN0Z89>?',
    });
  });
  it('the other fixtures are not messages: no record', () => {
    assert.equal(canonicalFor(provider, fixtureText('slack', 'event_wrapper.json')), null);
    assert.equal(canonicalFor(provider, fixtureText('slack', 'slash_command.txt'), FORM), null);
    const actions = `payload=${encodeURIComponent(fixtureText('slack', 'block_actions.json').toString())}`;
    assert.equal(canonicalFor(provider, actions, FORM), null);
  });
  it('a message edit is not a new message; a bot message keeps its subtype', () => {
    const body = JSON.parse(fixtureText('slack', 'event_callback.app_mention.json').toString()) as {
      event: Record<string, unknown>;
    };
    const withEvent = (ev: Record<string, unknown>) => JSON.stringify({ ...body, event: { ...body.event, ...ev } });
    assert.equal(canonicalFor(provider, withEvent({ type: 'message', subtype: 'message_changed' })), null);
    const bot = entity(
      canonicalFor(provider, withEvent({ type: 'message', subtype: 'bot_message', user: undefined, bot_id: 'B1' })),
      'message',
    );
    assert.deepEqual([bot.from, bot.providerStatus], ['B1', 'message.bot_message']);
  });
});
