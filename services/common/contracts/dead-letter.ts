/**
 * webhooks.dlq, processors.dlq, outbound.dlq (schemas/dlq.avsc), the same shape for every stage:
 * the full original bytes, where they came from, the stage, the reason, the attempts and the trace
 * id. Redrive puts `value` back on `sourceTopic` with the original key and headers.
 */
export interface DeadLetter {
  id: string;
  stage: string;
  reason: string;
  error: string;
  attempts: number;
  sourceTopic: string;
  sourcePartition: number;
  sourceOffset: number;
  sourceId: string | null;
  eventType: string | null;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
  traceId: string | null;
  failedAt: number;
}
