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

/** The path parameters of a route on one resource: `/v1/<things>/:id`. */
export const IdParams = z.object({ id: z.uuid() });

/** Lists follow the API convention `{ items, nextCursor }`. */
export function listOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

/**
 * `?cursor=` of a paged list: the opaque nextCursor of the previous page. Its length is bounded
 * here; what is inside is checked by cursor.ts (`decodeCursor`), which answers 400 for a forgery.
 */
export const Cursor = z.string().max(200).optional().describe('nextCursor of the previous page');

/** `?limit=` of a paged list: items per page, 1 to `max`. */
export function pageLimit(max = 200, byDefault = 50) {
  return z.coerce.number().int().min(1).max(max).default(byDefault);
}

/** PostgreSQL `integer` (int4): a larger number in a query would fail there as a 500. */
export const INT4_MAX = 2_147_483_647;

/** A positive integer from a query string or path, within PostgreSQL `integer`. */
export const PositiveInt4 = z.coerce.number().int().min(1).max(INT4_MAX);
