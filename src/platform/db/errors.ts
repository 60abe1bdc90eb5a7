/**
 * What a database error means, for services that turn constraint violations into answers
 * (409 for a duplicate or for a row still referenced). Prisma and PostgreSQL report them by code.
 */
const codeOf = (error: unknown) => (error as { code?: string } | null)?.code;

/** A unique constraint refused the write (Prisma P2002; PostgreSQL's 23505 through plain `pg`). */
export function isUniqueViolation(error: unknown): boolean {
  return codeOf(error) === 'P2002' || codeOf(error) === '23505';
}

/** A foreign key refused the write or delete (Prisma P2003; driver-adapter errors name it in the message). */
export function isForeignKeyViolation(error: unknown): boolean {
  return codeOf(error) === 'P2003' || /foreign key/i.test(String((error as Error | null)?.message));
}

/**
 * No pooled connection became free in time: Prisma's "Unable to start a transaction in the given
 * time" (P2028) or the pool's own checkout timeout. The database is busy, not broken.
 */
export function isPoolSaturation(error: unknown): boolean {
  const message = String((error as Error | null)?.message);
  return (
    (codeOf(error) === 'P2028' && /unable to start a transaction/i.test(message)) ||
    /timeout exceeded when trying to connect/i.test(message)
  );
}
