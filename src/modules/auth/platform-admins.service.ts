/**
 * Platform administrators: the people who may open the queue console, which shows every tenant's
 * jobs. Being one is a role in `platform_admins`, never an email address: an operator grants it
 * with the CLI (`doklad platform-admin grant`), only to an account whose address is verified.
 *
 * - `createPlatformAdminsService` runs in the API as the runtime role, which may read only its own
 *   caller's row: it checks the role (and a verified address) against the database on every
 *   console request, so a revocation applies to the very next one.
 * - `createPlatformAdminMaintenance` runs in the CLI on a connection as the owner of the tables
 *   (MIGRATION_DATABASE_URL): the runtime role has no right to grant or revoke the role at all.
 */
import { AppError } from '../../core/errors.js';
import type { Db } from '../../platform/db/db.js';
import * as repo from './auth.repo.js';
import * as roles from './platform-admins.repo.js';
import { normalizeEmail } from './client-info.js';

/** The signed-in person, as far as the console check needs them (see UserPrincipal). */
export interface ConsoleCandidate {
  readonly userId: string;
  readonly mfaEnabled: boolean;
}

/** Missing role, unverified address and missing 2FA share this 403; the detail names what is missing. */
export class ConsoleAccessDeniedError extends AppError {
  constructor(missing: readonly string[]) {
    super(
      403,
      'platform_admin_required',
      'Forbidden',
      `The queue console is for platform administrators only; missing: ${missing.join(', ')}.`,
    );
  }
}

export interface PlatformAdminsService {
  /** Throws ConsoleAccessDeniedError unless the person holds the role, a verified address and TOTP. */
  assertConsoleAccess(candidate: ConsoleCandidate): Promise<void>;
}

export function createPlatformAdminsService(deps: { db: Db }): PlatformAdminsService {
  return {
    async assertConsoleAccess(candidate) {
      const facts = await deps.db.withScope({ userId: candidate.userId }, async (tx) => ({
        role: await roles.isPlatformAdmin(tx, candidate.userId),
        user: await repo.findUserById(tx, candidate.userId),
      }));
      const missing = [
        ...(facts.role ? [] : ['the platform administrator role']),
        ...(facts.user?.emailVerifiedAt ? [] : ['a verified email address']),
        ...(candidate.mfaEnabled ? [] : ['two-factor authentication (TOTP)']),
      ];
      if (missing.length > 0) throw new ConsoleAccessDeniedError(missing);
    },
  };
}

export class PlatformAdminCommandError extends Error {
  override name = 'PlatformAdminCommandError';
}

export interface PlatformAdminListing {
  readonly userId: string;
  readonly email: string | null;
  readonly grantedAt: Date;
  readonly grantedBy: string;
}

export interface PlatformAdminMaintenance {
  /** Grants the role; false when the account already had it. Refuses unverified addresses. */
  grant(email: string, grantedBy: string): Promise<{ userId: string; granted: boolean }>;
  /** Revokes the role; false when the account did not have it. */
  revoke(email: string): Promise<{ userId: string; revoked: boolean }>;
  list(): Promise<PlatformAdminListing[]>;
}

/** `ownerDb` must connect as the owner of the tables (the migration role), not the runtime role. */
export function createPlatformAdminMaintenance(ownerDb: Db): PlatformAdminMaintenance {
  async function accountOf(rawEmail: string) {
    const email = normalizeEmail(rawEmail);
    const user = await ownerDb.withScope({ loginEmail: email }, (tx) => repo.findUserByEmail(tx, email));
    if (!user) throw new PlatformAdminCommandError(`No account has the email address ${email}.`);
    return user;
  }

  return {
    async grant(email, grantedBy) {
      const user = await accountOf(email);
      if (!user.emailVerifiedAt) {
        throw new PlatformAdminCommandError(
          `The email address ${user.email} is not verified, so the account does not prove it belongs ` +
            'to that person. Ask them to follow the verification link (POST /v1/me/email/verification ' +
            'sends a new one), then grant again.',
        );
      }
      const granted = await ownerDb.withScope({}, (tx) =>
        roles.insertPlatformAdmin(tx, { userId: user.id, grantedAt: new Date(), grantedBy }),
      );
      return { userId: user.id, granted };
    },

    async revoke(email) {
      const user = await accountOf(email);
      const revoked = await ownerDb.withScope({}, (tx) => roles.deletePlatformAdmin(tx, user.id));
      return { userId: user.id, revoked };
    },

    async list() {
      const rows = await ownerDb.withScope({}, (tx) => roles.listPlatformAdmins(tx));
      return Promise.all(
        rows.map(async (row) => ({
          ...row,
          email:
            (await ownerDb.withScope({ userId: row.userId }, (tx) => repo.findUserById(tx, row.userId)))
              ?.email ?? null,
        })),
      );
    },
  };
}
