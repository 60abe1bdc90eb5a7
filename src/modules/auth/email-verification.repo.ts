/** Queries for email verification links. Runs inside the caller's scoped transaction. */
import type { Tx } from '../../platform/db/db.js';

export type EmailVerificationPurpose = 'signup' | 'email_change';

export interface EmailVerificationRow {
  readonly id: string;
  readonly userId: string;
  readonly email: string;
  readonly purpose: EmailVerificationPurpose;
  readonly expiresAt: Date;
  readonly usedAt: Date | null;
  readonly createdAt: Date;
}

const VERIFICATION = {
  id: true,
  userId: true,
  email: true,
  purpose: true,
  expiresAt: true,
  usedAt: true,
  createdAt: true,
} as const;

export async function insertEmailVerification(
  tx: Tx,
  row: {
    userId: string;
    email: string;
    tokenHash: string;
    purpose: EmailVerificationPurpose;
    expiresAt: Date;
    now: Date;
  },
): Promise<void> {
  const { now, ...data } = row;
  await tx.emailVerification.create({ data: { ...data, createdAt: now } });
}

/** Uses up a person's unused links of one purpose (or of every purpose): a newer link replaces them. */
export async function revokeEmailVerifications(
  tx: Tx,
  userId: string,
  purpose: EmailVerificationPurpose | undefined,
  now: Date,
): Promise<void> {
  await tx.emailVerification.updateMany({
    where: { userId, usedAt: null, ...(purpose ? { purpose } : {}) },
    data: { usedAt: now },
  });
}

export async function findEmailVerificationByHash(
  tx: Tx,
  tokenHash: string,
): Promise<EmailVerificationRow | null> {
  const row = await tx.emailVerification.findUnique({ where: { tokenHash }, select: VERIFICATION });
  return row && { ...row, purpose: row.purpose as EmailVerificationPurpose };
}

/** The newest link of a purpose, used or not: the resend throttle counts from it. */
export async function latestEmailVerification(
  tx: Tx,
  userId: string,
  purpose: EmailVerificationPurpose,
): Promise<EmailVerificationRow | null> {
  const row = await tx.emailVerification.findFirst({
    where: { userId, purpose },
    orderBy: { createdAt: 'desc' },
    select: VERIFICATION,
  });
  return row && { ...row, purpose: row.purpose as EmailVerificationPurpose };
}

/** Marks a link used; false when it already was (single use under concurrency). */
export async function consumeEmailVerification(tx: Tx, id: string, now: Date): Promise<boolean> {
  const { count } = await tx.emailVerification.updateMany({
    where: { id, usedAt: null },
    data: { usedAt: now },
  });
  return count === 1;
}
