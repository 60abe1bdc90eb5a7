/**
 * Opaque cursors for keyset pagination: a position (timestamp, id) encoded as base64url JSON.
 * Every list of the API pages this way, so pages stay stable while rows are added.
 */
import { ValidationFailedError } from '../core/errors.js';

export interface CursorPosition {
  readonly at: Date;
  readonly id: string;
}

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.at.toISOString(), position.id])).toString('base64url');
}

export function decodeCursor(cursor: string): CursorPosition {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(at);
    if (Number.isNaN(date.getTime()) || typeof id !== 'string') throw new Error('bad cursor');
    return { at: date, id };
  } catch {
    throw new ValidationFailedError('The cursor is not valid; use nextCursor from a previous page.', [
      { field: 'query.cursor', message: 'is not valid' },
    ]);
  }
}
