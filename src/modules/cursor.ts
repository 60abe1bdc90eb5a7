/**
 * Opaque cursors for keyset pagination: a position (timestamp, id) encoded as base64url JSON.
 * Every list of the API pages this way, so pages stay stable while rows are added.
 */
import { ValidationFailedError } from '../core/errors.js';

export interface CursorPosition {
  readonly at: Date;
  readonly id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeCursor(position: CursorPosition): string {
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
