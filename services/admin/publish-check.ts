/**
 * What a published message must satisfy, the same for the HTTP API and outbound.requests: the
 * event type in the catalogue (unless the catalogue is open) and the payload matching the type's
 * JSON Schema. Returns the problems, for a 422 or a dead letter.
 */
import type { Catalogue } from './catalogue.ts';
import type { ErrorDetail } from './errors.ts';
import type { PayloadSchemas } from './payload-schema.ts';

export interface PublishCheckDeps {
  readonly catalogue: Catalogue;
  readonly schemas: PayloadSchemas;
  readonly openCatalogue: boolean;
}

export async function publishProblems(
  d: PublishCheckDeps,
  eventType: string,
  payload: unknown,
): Promise<{ code: 'unknown_event_type' | 'schema_mismatch'; problems: ErrorDetail[] } | undefined> {
  const type = await d.catalogue.get(eventType);
  if (!type)
    return d.openCatalogue
      ? undefined
      : {
          code: 'unknown_event_type',
          problems: [
            { path: 'eventType', message: `${eventType} is not in the catalogue (PUT /v1/event-types/{name})` },
          ],
        };
  if (!type.schema) return undefined;
  const problems = d.schemas.validate(type.name, type.schema, payload);
  return problems.length === 0 ? undefined : { code: 'schema_mismatch', problems };
}
