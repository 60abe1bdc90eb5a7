/**
 * A short-lived, in-process cache of resolved principals, keyed by the SHA-256 of the bearer
 * token, so an ordinary request does not re-read sessions, memberships, tenants and MFA factors.
 *
 * What makes it safe: every entry is tagged with its tenant and person, and is forgotten
 *   - at once in this process, when a service of this process changes such a fact (`forget`);
 *   - within milliseconds in every process, when PostgreSQL reports a committed change
 *     (`doklad_principals` notifications from triggers: see the migration
 *     20261201030000_principal_change_notifications);
 *   - after `ttlMs` in any case.
 * While the notification connection is not listening, the cache answers nothing (a miss), so a
 * change it could not hear about is never served from memory; when listening resumes it starts
 * empty.
 */

import { LruMap } from '../../core/lru-map.js';

export interface PrincipalTags {
  readonly tenantId: string;
  /** The person (a session's user, or the creator of an integration token). */
  readonly userId: string;
}

export type PrincipalChange = { readonly tenantId: string } | { readonly userId: string };

export interface PrincipalCache<V> {
  get(tokenHash: string): V | undefined;
  /**
   * Counts every forget and clear. Read it before loading a principal from the database and hand
   * it to `set`: a load that raced with a change is then not stored (it may predate the change).
   */
  version(): number;
  set(tokenHash: string, value: V, tags: PrincipalTags, loadedAtVersion: number): void;
  /** Forgets every entry of a tenant or of a person. */
  forget(change: PrincipalChange): void;
  clear(): void;
  /** Applies a `tenant:<id>` / `user:<id>` notification; anything else empties the cache. */
  applyNotification(payload: string): void;
  readonly size: number;
}

interface Entry<V> {
  readonly value: V;
  readonly tags: PrincipalTags;
  readonly expiresAtMs: number;
}

export function createPrincipalCache<V>(options: {
  readonly ttlMs: number;
  readonly maxEntries: number;
  /** False while changes could be missed (the notification connection is down). */
  readonly isTrustworthy: () => boolean;
  readonly nowMs?: () => number;
}): PrincipalCache<V> {
  const nowMs = options.nowMs ?? Date.now;
  const entries = new LruMap<string, Entry<V>>(options.maxEntries);
  let version = 0;

  const forgetWhere = (matches: (tags: PrincipalTags) => boolean) => {
    version += 1;
    for (const [key, entry] of entries.entries()) if (matches(entry.tags)) entries.delete(key);
  };

  return {
    get(tokenHash) {
      if (options.ttlMs <= 0 || !options.isTrustworthy()) return undefined;
      const entry = entries.get(tokenHash);
      if (!entry) return undefined;
      if (entry.expiresAtMs > nowMs()) return entry.value;
      entries.delete(tokenHash);
      return undefined;
    },
    version: () => version,
    set(tokenHash, value, tags, loadedAtVersion) {
      if (options.ttlMs <= 0 || !options.isTrustworthy() || loadedAtVersion !== version) return;
      entries.set(tokenHash, { value, tags, expiresAtMs: nowMs() + options.ttlMs });
    },
    forget(change) {
      if ('tenantId' in change) forgetWhere((tags) => tags.tenantId === change.tenantId);
      else forgetWhere((tags) => tags.userId === change.userId);
    },
    clear() {
      version += 1;
      entries.clear();
    },
    applyNotification(payload) {
      const match = /^(tenant|user):([0-9a-f-]{36})$/.exec(payload);
      if (!match) return this.clear();
      this.forget(match[1] === 'tenant' ? { tenantId: match[2]! } : { userId: match[2]! });
    },
    get size() {
      return entries.size;
    },
  };
}
