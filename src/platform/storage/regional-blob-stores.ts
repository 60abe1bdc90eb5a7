/**
 * One blob store per data region: a tenant's documents live in the storage account of its region
 * (AZURE_STORAGE_CONNECTION_STRING_<REGION>, or the default account). Regions that share an
 * account share one client.
 */
import { createBlobStore, type BlobStore } from './blob-store.js';

export interface RegionalBlobStores {
  forRegion(region: string): BlobStore;
  /** Every distinct store, e.g. for readiness checks. */
  all(): readonly BlobStore[];
}

export function createRegionalBlobStores(
  connectionByRegion: Readonly<Record<string, string>>,
  containerPrefix: string,
): RegionalBlobStores {
  const byConnection = new Map<string, BlobStore>();
  const byRegion = new Map<string, BlobStore>();
  for (const [region, connection] of Object.entries(connectionByRegion)) {
    if (!byConnection.has(connection))
      byConnection.set(connection, createBlobStore(connection, containerPrefix));
    byRegion.set(region, byConnection.get(connection)!);
  }
  return {
    forRegion(region) {
      const store = byRegion.get(region);
      // Tenants are created only in configured regions; reaching this means the configuration
      // lost a region that still has tenants, which must not silently fall back elsewhere.
      if (!store) throw new Error(`No blob storage is configured for region "${region}"`);
      return store;
    },
    all: () => [...byConnection.values()],
  };
}
