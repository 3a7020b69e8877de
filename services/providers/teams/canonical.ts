/**
 * Microsoft Teams (outgoing webhook / bot Activity) → Message. Only Activities of `type: "message"`
 * are messages (Bot Framework Activity schema: id, from, recipient, conversation, text;
 * https://learn.microsoft.com/en-us/microsoftteams/platform/bots/how-to/conversations/conversation-basics).
 * Posted to us by Teams, so inbound and `received`. channel = "teams:<conversation id>"; from/to are
 * the Teams user / bot ids (names are display text and change). Other activity types: no record.
 */
import { canonical, type Canonical } from '../../common/canonical.ts';
import { at, text, type CanonicalMapping } from '../canonical.ts';

function map(a: unknown): Canonical | null {
  if (at(a, 'type') !== 'message') return null;
  const id = text(at(a, 'id'));
  if (id === null) return null;
  const conversation = text(at(a, 'conversation.id'));
  return canonical('message', {
    id,
    channel: conversation === null ? 'teams' : `teams:${conversation}`,
    direction: 'inbound',
    from: text(at(a, 'from.id')),
    to: text(at(a, 'recipient.id')),
    status: 'received',
    providerStatus: 'message',
    text: text(at(a, 'text')),
  });
}

export const canonicalMapping: CanonicalMapping = {
  fills: { message: ['channel', 'from', 'to', 'providerStatus', 'text'] },
  map: ({ payload }) => map(payload),
};
