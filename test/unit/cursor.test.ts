/**
 * The keyset helpers every list uses (src/modules/cursor.ts): a page's cursor reads back as the
 * position of its last row, the condition and the order always go the same way, and the plain-SQL
 * form binds the position as parameters, never as text. The walks through real lists are in
 * test/integration/api/keyset-paging.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { decodeCursor, keysetPage, keysetSql, pageOf } from '../../src/modules/cursor.js';
import { sqlConditions } from '../../src/platform/db/sql-conditions.js';

const at = new Date('2026-03-01T10:00:00.123Z');
const id = '0b9f4c1e-2a8d-4c3e-9f1a-7d6e5c4b3a21';
const rows = [1, 2, 3].map((n) => ({ n, at, id: `${id.slice(0, -1)}${n}` }));

describe('keyset pagination helpers', () => {
  it('names a next cursor only when the extra row shows there is more, at the last row kept', () => {
    const page = pageOf(rows, 2, (r) => ({ at: r.at, id: r.id }));
    expect(page.rows.map((r) => r.n)).toEqual([1, 2]);
    expect(decodeCursor(page.nextCursor!)).toEqual({ at, id: rows[1]!.id });
    expect(pageOf(rows, 3, (r) => ({ at: r.at, id: r.id })).nextCursor).toBeNull();
    expect(pageOf([], 3, () => ({ at, id })).nextCursor).toBeNull();
  });

  it('builds the Prisma condition and order in the same direction, nothing without a position', () => {
    expect(keysetPage('createdAt', 'asc', { at, id })).toEqual({
      where: { OR: [{ createdAt: { gt: at } }, { createdAt: at, id: { gt: id } }] },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
    expect(keysetPage('signedAt', 'desc', { at, id }).where).toEqual({
      OR: [{ signedAt: { lt: at } }, { signedAt: at, id: { lt: id } }],
    });
    expect(keysetPage('occurredAt', 'desc', undefined)).toEqual({
      where: {},
      orderBy: [{ occurredAt: 'desc' }, { id: 'desc' }],
    });
  });

  it('adds the row-value condition to plain SQL with the position as parameters', () => {
    const q = sqlConditions('d.purged_at IS NULL');
    q.add((p) => `d.tenant_id = ${p}`, 'tenant');
    expect(keysetSql(q, { at: 'd.updated_at', id: 'd.id' }, 'asc', { at, id })).toBe(
      'd.updated_at ASC, d.id ASC',
    );
    expect(q.clause()).toBe(
      'd.purged_at IS NULL AND d.tenant_id = $1 AND (d.updated_at, d.id) > ($2, $3::uuid)',
    );
    expect(q.params).toEqual(['tenant', at, id]);

    const newest = sqlConditions();
    expect(keysetSql(newest, { at: 'created_at', id: 'id' }, 'desc', { at, id })).toBe(
      'created_at DESC, id DESC',
    );
    expect(newest.clause()).toBe('(created_at, id) < ($1, $2::uuid)');
    const first = sqlConditions('true');
    keysetSql(first, { at: 'created_at', id: 'id' }, 'desc', undefined);
    expect(first.clause()).toBe('true');
  });

  it('reads back only what it wrote: the exact ISO time and a UUID', () => {
    const encoded = pageOf(rows, 1, (r) => ({ at: r.at, id: r.id })).nextCursor!;
    expect(decodeCursor(encoded).at.toISOString()).toBe(at.toISOString());
    const forge = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    for (const bad of [
      forge(['2026-03-01T10:00:00Z', id]), // a valid time, but not as encodeCursor writes it
      forge([at.getTime(), id]),
      forge([at.toISOString(), id, 'extra']),
      forge([at.toISOString(), id.toUpperCase().replace('0B', 'ZZ')]),
    ])
      expect(() => decodeCursor(bad)).toThrow(expect.objectContaining({ status: 400 }));
  });
});
