/** zod building blocks shared by the route schemas of several modules. */
import { z } from 'zod';

/**
 * A timestamp: handlers work with `Date`, the wire format is an ISO 8601 UTC string (what /docs
 * shows). The zod type provider encodes responses, so handlers simply return Dates.
 */
export const IsoDateTime = z.codec(z.iso.datetime({ offset: true }), z.date(), {
  decode: (text) => new Date(text),
  encode: (date) => date.toISOString(),
});

/** Lists follow the API convention `{ items, nextCursor }`. */
export function listOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}
