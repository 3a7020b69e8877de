import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalFor, entity, fixtureText } from '../canonical-testing.ts';
import { provider } from './index.ts';

const FORM = { contentType: 'application/x-www-form-urlencoded' };
const form = (file: string) => canonicalFor(provider, fixtureText('twilio', file), FORM);

describe('twilio canonical records', () => {
  it('incoming-message fixture → inbound Message, field by field', () => {
    assert.deepEqual(entity(form('incoming-message.txt'), 'message'), {
      id: 'SM1342fe1b2c904d1ab04f0fc7a58abca9',
      channel: 'sms',
      direction: 'inbound',
      from: '+14158141829',
      to: '+15558675310',
      status: 'received',
      providerStatus: 'received',
      text: 'Hello',
    });
  });
  it('message-status-delivered fixture → outbound Message, no text', () => {
    assert.deepEqual(entity(form('message-status-delivered.txt'), 'message'), {
      id: 'SM1342fe1b2c904d1ab04f0fc7a58abca9',
      channel: 'sms',
      direction: 'outbound',
      from: '+15017250604',
      to: '+15558675310',
      status: 'delivered',
      providerStatus: 'delivered',
      text: null,
    });
  });
  it('call-status-ringing fixture is a call, not a message: no record', () => {
    assert.equal(form('call-status-ringing.txt'), null);
  });
  it('whatsapp prefix → whatsapp channel; an unknown status is unknown with the raw value kept', () => {
    const body = 'MessageSid=SM1&MessageStatus=teleported&From=whatsapp%3A%2B1&To=whatsapp%3A%2B2';
    const m = entity(canonicalFor(provider, body, FORM), 'message');
    assert.deepEqual(
      [m.channel, m.status, m.providerStatus, m.direction],
      ['whatsapp', 'unknown', 'teleported', 'outbound'],
    );
  });
});
