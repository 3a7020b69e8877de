/**
 * A test message: what "send a test message" (POST /v1/tenants/{tenantId}/endpoints/{id}/test)
 * writes to outbound.events. It is an ordinary OutboundEvent addressed to one endpoint
 * (endpointId set, like a manual retry), so the dispatcher signs and delivers it like any other
 * and logs its attempts in outbound.attempts with trigger "test"; no subscription is consulted.
 * Its resource key is its own (no resource), so it waits behind nothing else for that endpoint.
 */
import type { OutboundEvent } from './outbound-event.ts';
import { publishedResourceKey } from './publish.ts';

export const TEST_EVENT_TYPE = 'hookline.test';

export function testMessage(o: {
  messageId: string;
  tenantId: string;
  endpointId: string;
  now: number;
}): OutboundEvent & { endpointId: string } {
  const timestamp = new Date(o.now).toISOString();
  return {
    messageId: o.messageId,
    eventType: TEST_EVENT_TYPE,
    resourceKey: publishedResourceKey(o.tenantId, null, o.messageId),
    sourceEventId: '',
    occurredAt: o.now,
    createdAt: o.now,
    payload: JSON.stringify({
      id: o.messageId,
      type: TEST_EVENT_TYPE,
      timestamp,
      data: {
        endpointId: o.endpointId,
        message: 'A test message sent from hookline to check this endpoint receives and verifies webhooks.',
      },
    }),
    endpointId: o.endpointId,
    tenantId: o.tenantId,
  };
}

/** The delivery log's trigger of a job addressed to one endpoint ("event" = fan-out). */
export const addressedTrigger = (eventType: string): 'test' | 'manual' =>
  eventType === TEST_EVENT_TYPE ? 'test' : 'manual';
