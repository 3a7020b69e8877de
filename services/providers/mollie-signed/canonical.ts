/**
 * Mollie next-gen events → canonical records: the snapshot in `_embedded.entity` (present unless the
 * subscription asked for "simple" payloads), mapped by the shared Mollie object mapping.
 */
import { at, type CanonicalMapping } from '../canonical.ts';
import { MOLLIE_FILLS, mollieObjectToCanonical } from '../mollie/canonical.ts';

export const canonicalMapping: CanonicalMapping = {
  fills: MOLLIE_FILLS,
  map: ({ payload, fields }) => mollieObjectToCanonical(at(payload, '_embedded.entity'), fields.eventType),
};
