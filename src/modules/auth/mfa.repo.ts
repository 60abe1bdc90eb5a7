/** Queries for TOTP factors and recovery codes; rows are visible only to their own user (RLS). */
import type { Tx } from '../../platform/db/db.js';

export interface TotpFactorRow {
  readonly id: string;
  readonly userId: string;
  readonly secretSealed: string;
  readonly confirmedAt: Date | null;
  readonly lastUsedStep: bigint | null;
}

export async function findTotpFactor(tx: Tx, userId: string): Promise<TotpFactorRow | null> {
  return tx.mfaFactor.findUnique({ where: { userId_kind: { userId, kind: 'totp' } } });
}

/** Starts (or restarts, while unconfirmed) an enrolment. */
export async function upsertPendingTotp(tx: Tx, userId: string, secretSealed: string): Promise<void> {
  await tx.mfaFactor.upsert({
    where: { userId_kind: { userId, kind: 'totp' } },
    create: { userId, kind: 'totp', secretSealed },
    update: { secretSealed, confirmedAt: null, lastUsedStep: null },
  });
}

export async function confirmTotp(tx: Tx, userId: string, now: Date): Promise<void> {
  await tx.mfaFactor.update({ where: { userId_kind: { userId, kind: 'totp' } }, data: { confirmedAt: now } });
}

/**
 * Records `step` as used only when it is later than the last used step, atomically: of two
 * concurrent requests with the same code, exactly one succeeds.
 */
export async function consumeTotpStep(tx: Tx, userId: string, step: bigint): Promise<boolean> {
  const { count } = await tx.mfaFactor.updateMany({
    where: { userId, kind: 'totp', OR: [{ lastUsedStep: null }, { lastUsedStep: { lt: step } }] },
    data: { lastUsedStep: step },
  });
  return count === 1;
}

export async function deleteTotp(tx: Tx, userId: string): Promise<void> {
  await tx.mfaFactor.deleteMany({ where: { userId, kind: 'totp' } });
  await tx.recoveryCode.deleteMany({ where: { userId } });
}

export async function replaceRecoveryCodes(
  tx: Tx,
  userId: string,
  codeHashes: readonly string[],
): Promise<void> {
  await tx.recoveryCode.deleteMany({ where: { userId } });
  await tx.recoveryCode.createMany({ data: codeHashes.map((codeHash) => ({ userId, codeHash })) });
}

/** Marks an unused recovery code used; false when there is no such unused code. */
export async function consumeRecoveryCode(
  tx: Tx,
  userId: string,
  codeHash: string,
  now: Date,
): Promise<boolean> {
  const { count } = await tx.recoveryCode.updateMany({
    where: { userId, codeHash, usedAt: null },
    data: { usedAt: now },
  });
  return count === 1;
}
