/**
 * Slack → Message. Only Events API `message` and `app_mention` events carry a message (channel, user,
 * text, ts: https://docs.slack.dev/reference/events/message, /app_mention). A message has no id of its
 * own in Slack: it is named by channel + `ts` ("<channel>:<ts>"), the pair chat.update/chat.delete take.
 * Events the bot receives are inbound and already delivered to Slack: status `received`. Message
 * subtypes (message_changed, message_deleted, bot_message, …) are kept as providerStatus; an edit or a
 * deletion is not a new message, so those map to no record. Slash commands, interactions and other
 * events are not messages: no canonical record.
 */
import { canonical, type Canonical } from '../../common/canonical.ts';
import { at, text, type CanonicalMapping } from '../canonical.ts';

const NOT_A_MESSAGE = new Set(['message_changed', 'message_deleted', 'message_replied']);

function map(payload: unknown): Canonical | null {
  if (at(payload, 'type') !== 'event_callback') return null;
  const ev = at(payload, 'event');
  const type = text(at(ev, 'type'));
  if (type !== 'message' && type !== 'app_mention') return null;
  const subtype = text(at(ev, 'subtype'));
  if (subtype !== null && NOT_A_MESSAGE.has(subtype)) return null;
  const channel = text(at(ev, 'channel'));
  const ts = text(at(ev, 'ts'));
  if (channel === null || ts === null) return null;
  return canonical('message', {
    id: `${channel}:${ts}`,
    channel: `slack:${channel}`,
    direction: 'inbound',
    from: text(at(ev, 'user')) ?? text(at(ev, 'bot_id')),
    to: null,
    status: 'received',
    providerStatus: subtype === null ? type : `${type}.${subtype}`,
    text: text(at(ev, 'text')),
  });
}

export const canonicalMapping: CanonicalMapping = {
  fills: { message: ['channel', 'from', 'providerStatus', 'text'] },
  map: ({ payload }) => map(payload),
};
