/**
 * Keyset pagination, the one way every list of the API pages: a position (timestamp, id) encoded
 * as an opaque base64url JSON cursor, the condition and order that read the rows beyond it
 * (`keysetPage` for Prisma, `keysetSql` for plain SQL), and `pageOf` to cut the page and name the
 * next cursor. Pages stay stable while rows are added, and rows sharing a timestamp are ordered by
 * id, so none is shown twice or skipped at a page boundary.
 *
 * A cursor is a position, not a capability: it names no tenant and grants nothing, and every list
 * query is confined to the caller's tenant (its filter and RLS), so a cursor taken in another firm
 * only positions the page among the caller's own rows (test/integration/api/keyset-paging.test.ts).
 */
import { ValidationFailedError } from '../core/errors.js';
import type { SqlConditions } from '../platform/db/sql-conditions.js';

export interface CursorPosition {
  readonly at: Date;
  readonly id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.at.toISOString(), position.id])).toString('base64url');
}

export function decodeCursor(cursor: string): CursorPosition {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(parsed) || parsed.length !== 2) throw new Error('bad cursor');
    const [at, id] = parsed as unknown[];
    // Only what encodeCursor writes is a cursor: an ISO time that reads back as itself (a number
    // or `true` would make a Date too, and position the page somewhere nobody asked for).
    if (typeof at !== 'string') throw new Error('bad cursor');
    const date = new Date(at);
    // A forged cursor must not reach PostgreSQL with a non-UUID id or a date beyond its range:
    // either would fail there as a 500 instead of answering 400.
    if (Number.isNaN(date.getTime()) || date.getUTCFullYear() < 1 || date.getUTCFullYear() > 9999)
      throw new Error('bad cursor');
    if (date.toISOString() !== at) throw new Error('bad cursor');
    if (typeof id !== 'string' || !UUID.test(id)) throw new Error('bad cursor');
    return { at: date, id };
  } catch {
    throw new ValidationFailedError('The cursor is not valid; use nextCursor from a previous page.', [
      { field: 'query.cursor', message: 'is not valid' },
    ]);
  }
}

/**
 * One page out of the `limit + 1` rows a list read: the first `limit`, and the cursor after the
 * last of them when the extra row shows there is more (no extra row, no next page).
 */
export function pageOf<R>(
  rows: readonly R[],
  limit: number,
  positionOf: (row: R) => CursorPosition,
): { rows: R[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { rows: page, nextCursor: rows.length > limit && last ? encodeCursor(positionOf(last)) : null };
}

/** A list's direction: `asc` pages oldest first, `desc` newest first (ties broken by id alike). */
export type KeysetOrder = 'asc' | 'desc';

type Beyond<V> = { gt: V } | { lt: V };

/** What `keysetPage` returns: typed so Prisma checks `field` against the model. */
export interface KeysetPage<F extends string> {
  readonly where:
    { OR: [{ [K in F]: Beyond<Date> }, { [K in F]: Date } & { id: Beyond<string> }] } | { OR?: never };
  readonly orderBy: [{ [K in F]: KeysetOrder }, { id: KeysetOrder }];
}

/**
 * The Prisma half of a keyset page over (`field`, id): the condition "strictly beyond `after` in
 * this order" and the matching orderBy, so the two can never disagree. Rows sharing `field`'s
 * timestamp are told apart by id, which is why the condition has two arms:
 *
 *   const keyset = keysetPage('createdAt', 'asc', after);
 *   tx.supplierProfile.findMany({ where: { tenantId, ...keyset.where }, orderBy: keyset.orderBy, take });
 *
 * `where` uses `OR`; a query that needs its own `OR` must put one of them under `AND`.
 */
export function keysetPage<F extends string>(
  field: F,
  order: KeysetOrder,
  after: CursorPosition | undefined,
): KeysetPage<F> {
  const beyond = order === 'asc' ? 'gt' : 'lt';
  // Computed keys widen to `string` in TypeScript; the declared return type is what they build.
  const where = after
    ? { OR: [{ [field]: { [beyond]: after.at } }, { [field]: after.at, id: { [beyond]: after.id } }] }
    : {};
  const orderBy = [{ [field]: order }, { id: order }];
  return { where, orderBy } as KeysetPage<F>;
}

/**
 * The plain-SQL half (`db.read` queries built with `sqlConditions`): adds the row-value condition
 * `(at, id) > (…)` (or `<` newest first) to `q` when there is a position, and returns the ORDER BY
 * list for the same order. `columns` are SQL identifiers written by the repo, never input.
 */
export function keysetSql(
  q: SqlConditions,
  columns: { readonly at: string; readonly id: string },
  order: KeysetOrder,
  after: CursorPosition | undefined,
): string {
  const direction = order === 'asc' ? 'ASC' : 'DESC';
  if (after)
    q.where.push(
      `(${columns.at}, ${columns.id}) ${order === 'asc' ? '>' : '<'} (${q.param(after.at)}, ${q.param(after.id)}::uuid)`,
    );
  return `${columns.at} ${direction}, ${columns.id} ${direction}`;
}
