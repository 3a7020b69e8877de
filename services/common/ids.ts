/** Deterministic ids: the same input always yields the same id, so replays and retries are recognisable. */
import { createHash } from 'node:crypto';

/** RFC 4122 layout (version 8, "custom") over SHA-256 of the parts. */
export function deterministicUuid(...parts: readonly string[]): string {
  const h = createHash('sha256').update(parts.join('\u0000')).digest();
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** hookline event id of a provider event: stable across provider retries and replays. */
export const eventIdOf = (sourceId: string, dedupeKey: string): string =>
  deterministicUuid('event', sourceId, dedupeKey);

/** The resource key of ARCHITECTURE.md: the Kafka key wherever the resource is known. */
export const resourceKeyOf = (sourceId: string, resourceType: string, resourceId: string): string =>
  `${sourceId}:${resourceType}:${resourceId}`;
