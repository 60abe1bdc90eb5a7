/**
 * Session tokens (ASVS V3): 256 random bits, stored only as SHA-256, bound to one tenant, with an
 * idle timeout and an absolute lifetime. Revocation and both expiries are checked on every request
 * (principal.service.ts); the idle clock is refreshed at most once a minute to spare the database.
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
  /** The stored session for a token's hash, live or not (null when unknown). */
  findByTokenHash(tokenHash: string): Promise<repo.SessionRow | null>;
  /** False when the session was revoked, has expired, or has been idle too long. */
  isLive(session: repo.SessionRow): boolean;
  /**
   * Refreshes the idle clock when it is at least a minute old; returns the session as it now
   * stands (the same object when nothing was due).
   */
  touchIfDue(session: repo.SessionRow): Promise<repo.SessionRow>;
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

    findByTokenHash(tokenHash) {
      return deps.db.withScope({ sessionTokenHash: tokenHash }, (tx) =>
        repo.findSessionByTokenHash(tx, tokenHash),
      );
    },

    isLive(session) {
      const now = clock().getTime();
      return (
        !session.revokedAt &&
        session.expiresAt.getTime() > now &&
        session.lastSeenAt.getTime() + settings.idleTimeoutMs > now
      );
    },

    async touchIfDue(session) {
      const now = clock();
      if (now.getTime() - session.lastSeenAt.getTime() < TOUCH_INTERVAL_MS) return session;
      await deps.db.withScope({ userId: session.userId }, (tx) => repo.touchSession(tx, session.id, now));
      return { ...session, lastSeenAt: now };
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
