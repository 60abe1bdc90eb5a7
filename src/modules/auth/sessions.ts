/**
 * Session tokens (ASVS V3): 256 random bits, stored only as SHA-256, bound to one tenant, with an
 * idle timeout and an absolute lifetime. Resolving a token checks revocation and both expiries on
 * every request; the idle clock is refreshed at most once a minute to spare the database.
 */
import type { Clock } from '../../core/clock.js';
import { generateToken, hashToken } from '../../platform/crypto/tokens.js';
import type { Db, Tx } from '../../platform/db/db.js';
import * as repo from './auth.repo.js';

export interface SessionSettings {
  readonly idleTimeoutMs: number;
  readonly maxLifetimeMs: number;
}

export interface IssuedSession {
  readonly id: string;
  readonly token: string;
  readonly expiresAt: Date;
}

const TOUCH_INTERVAL_MS = 60_000;

export interface SessionManager {
  issue(
    tx: Tx,
    input: {
      tenantId: string;
      userId: string;
      ip?: string;
      userAgent?: string;
      expiresAt?: Date;
      reauthenticatedAt?: Date;
    },
  ): Promise<IssuedSession>;
  /** The live session for a presented token, or null (unknown, revoked, idle or expired). */
  resolve(token: string): Promise<repo.SessionRow | null>;
  /** Revokes a person's live sessions in one tenant (e.g. when they are removed from it). */
  revokeAllInTenant(tx: Tx, tenantId: string, userId: string, reason: string): Promise<number>;
  /** When the session ends by idleness if nothing happens: what clients should show. */
  idleExpiry(session: Pick<repo.SessionRow, 'lastSeenAt' | 'expiresAt'>): Date;
}

export function createSessionManager(deps: {
  db: Db;
  clock: Clock;
  settings: SessionSettings;
}): SessionManager {
  const { clock, settings } = deps;
  return {
    async issue(tx, input) {
      const now = clock();
      const token = generateToken();
      const row = await repo.insertSession(tx, {
        tenantId: input.tenantId,
        userId: input.userId,
        tokenHash: hashToken(token),
        expiresAt: input.expiresAt ?? new Date(now.getTime() + settings.maxLifetimeMs),
        reauthenticatedAt: input.reauthenticatedAt ?? now,
        ip: input.ip ?? null,
        userAgent: input.userAgent?.slice(0, 512) ?? null,
        now,
      });
      return { id: row.id, token, expiresAt: row.expiresAt };
    },

    async resolve(token) {
      if (token.length < 32 || token.length > 128) return null;
      const tokenHash = hashToken(token);
      const session = await deps.db.withScope({ sessionTokenHash: tokenHash }, (tx) =>
        repo.findSessionByTokenHash(tx, tokenHash),
      );
      const now = clock();
      if (!session || session.revokedAt) return null;
      if (
        session.expiresAt <= now ||
        session.lastSeenAt.getTime() + settings.idleTimeoutMs <= now.getTime()
      ) {
        return null;
      }
      if (now.getTime() - session.lastSeenAt.getTime() >= TOUCH_INTERVAL_MS) {
        await deps.db.withScope({ userId: session.userId }, (tx) => repo.touchSession(tx, session.id, now));
      }
      return session;
    },

    revokeAllInTenant(tx, tenantId, userId, reason) {
      return repo.revokeUserSessions(tx, { userId, tenantId }, clock(), reason);
    },

    idleExpiry(session) {
      const idle = new Date(session.lastSeenAt.getTime() + settings.idleTimeoutMs);
      return idle < session.expiresAt ? idle : session.expiresAt;
    },
  };
}
