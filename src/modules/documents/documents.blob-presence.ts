/**
 * Readiness of the blob store's contents, not just its reachability: a storage account that was
 * swapped, wiped or (in development) restarted in memory answers every request, yet the documents
 * PostgreSQL lists are gone and every download would fail. /readyz asks this check, which samples
 * a few active tenants and looks for the blob of each one's newest document.
 *
 * It stays cheap on purpose: a handful of tenants per pass (a random sample, so over a few passes
 * every region and tenant gets looked at), one indexed query and one HEAD request each, and the
 * verdict is remembered for a while so a load balancer probing every second costs nothing.
 */
import type { Clock } from '../../core/clock.js';
import { systemContext } from '../../core/request-context.js';
import type { Db } from '../../platform/db/db.js';
import type { RegionalBlobStores } from '../../platform/storage/regional-blob-stores.js';
import type { TenantsService } from '../tenants/tenants.service.js';
import * as repo from './documents.repo.js';

export interface BlobPresenceCheck {
  /** False when a sampled tenant's newest document has no blob; throws when a lookup fails. */
  check(): Promise<boolean>;
}

export function createBlobPresenceCheck(deps: {
  db: Db;
  tenants: Pick<TenantsService, 'sampleActiveTenantIds' | 'tenantKey'>;
  blobStores: RegionalBlobStores;
  clock: Clock;
  /** Tenants looked at per pass. */
  sampleSize?: number;
  /** How long a "present" verdict is reused; a "missing" one is rechecked sooner. */
  cacheMs?: number;
}): BlobPresenceCheck {
  const sampleSize = deps.sampleSize ?? 3;
  const cacheMs = deps.cacheMs ?? 30_000;
  const missingCacheMs = Math.min(cacheMs, 5_000);
  let last: { at: number; present: boolean } | undefined;
  let running: Promise<boolean> | undefined;

  async function tenantBlobPresent(tenantId: string): Promise<boolean> {
    const ctx = systemContext(tenantId, { kind: 'system', id: 'readiness' });
    const blobName = await deps.db.withTenant(ctx, (tx) => repo.findNewestBlobName(tx, tenantId));
    if (!blobName) return true;
    const { region } = await deps.tenants.tenantKey(ctx);
    const store = deps.blobStores.forRegion(region);
    return store.exists(store.containerFor(tenantId), blobName);
  }

  async function sample(): Promise<boolean> {
    const tenantIds = await deps.tenants.sampleActiveTenantIds(sampleSize);
    const present = await Promise.all(tenantIds.map(tenantBlobPresent));
    return present.every(Boolean);
  }

  return {
    async check() {
      const now = deps.clock().getTime();
      if (last && now - last.at < (last.present ? cacheMs : missingCacheMs)) return last.present;
      // Concurrent probes share one pass instead of each starting their own.
      running ??= sample()
        .then((present) => {
          last = { at: deps.clock().getTime(), present };
          return present;
        })
        .finally(() => {
          running = undefined;
        });
      return running;
    },
  };
}
