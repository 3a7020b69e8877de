/**
 * Twilio Messaging → Message. An incoming-message webhook (Messaging webhook request: MessageSid, From,
 * To, Body, SmsStatus=received; https://www.twilio.com/docs/messaging/guides/webhook-request) is inbound;
 * a status callback (MessageStatus: queued | sending | sent | delivered | undelivered | failed | read |
 * accepted | scheduled | canceled | receiving | received; https://www.twilio.com/docs/messaging/api/message-resource#message-status-values)
 * is about a message we sent, so outbound. channel: `whatsapp` when From/To carry Twilio's `whatsapp:`
 * prefix, else `sms` (MMS is SMS with media here). Voice calls and recordings are not messages: no record.
 */
import { canonical, type Canonical, type MessageStatus } from '../../common/canonical.ts';
import { at, statusFrom, text, type CanonicalMapping } from '../canonical.ts';

const STATUS: Readonly<Record<string, MessageStatus>> = {
  accepted: 'queued',
  scheduled: 'queued',
  queued: 'queued',
  sending: 'queued',
  sent: 'sent',
  delivered: 'delivered',
  read: 'read',
  undelivered: 'undelivered',
  failed: 'failed',
  receiving: 'received',
  received: 'received',
};

function map(f: unknown): Canonical | null {
  const id = text(at(f, 'MessageSid')) ?? text(at(f, 'SmsSid'));
  if (id === null) return null;
  const callback = text(at(f, 'MessageStatus'));
  const raw = callback ?? text(at(f, 'SmsStatus'));
  const from = text(at(f, 'From'));
  const to = text(at(f, 'To'));
  const whatsapp = [from, to].some((x) => x?.startsWith('whatsapp:') === true);
  return canonical('message', {
    id,
    channel: whatsapp ? 'whatsapp' : 'sms',
    direction: callback !== null ? 'outbound' : raw === 'received' ? 'inbound' : 'unknown',
    from,
    to,
    status: statusFrom(STATUS, raw),
    providerStatus: raw,
    text: text(at(f, 'Body')),
  });
}

export const canonicalMapping: CanonicalMapping = {
  fills: { message: ['channel', 'from', 'to', 'providerStatus', 'text'] },
  map: ({ payload }) => map(payload),
};
