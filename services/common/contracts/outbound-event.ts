/** outbound.events: the processors' router output, the dispatcher's input. */

/** schemas/outbound.event.avsc */
export interface OutboundEvent {
  readonly messageId: string;
  readonly eventType: string;
  readonly resourceKey: string;
  readonly sourceEventId: string;
  readonly occurredAt: number;
  readonly createdAt: number;
  readonly payload: string;
  readonly endpointId: string | null;
  /** Owner of the message (published ones); null = the tenant its source names, else the default tenant (tenant.ts). */
  readonly tenantId?: string | null;
}
