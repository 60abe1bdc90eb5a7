/**
 * Where a tenant's document blobs live: the blob store of its data region and its container,
 * created on first use (once per process), with the tenant's key-encryption key reference.
 */
import type { RequestContext } from '../../core/request-context.js';
import type { BlobStore } from '../../platform/storage/blob-store.js';
import type { RegionalBlobStores } from '../../platform/storage/regional-blob-stores.js';
import type { TenantsService } from '../tenants/tenants.service.js';
import { asStorageError } from './encrypted-upload.js';

export interface TenantStorage {
  readonly kekRef: string;
  readonly blobStore: BlobStore;
  readonly container: string;
}

export function createTenantStorage(deps: {
  tenants: TenantsService;
  blobStores: RegionalBlobStores;
}): (ctx: RequestContext) => Promise<TenantStorage> {
  const knownContainers = new Set<string>();
  return async (ctx) => {
    const { kekRef, region } = await deps.tenants.tenantKey(ctx);
    const blobStore = deps.blobStores.forRegion(region);
    const container = blobStore.containerFor(ctx.tenantId);
    if (!knownContainers.has(container)) {
      await blobStore
        .ensureContainer(container)
        .catch((error: unknown) => Promise.reject(asStorageError(error)));
      knownContainers.add(container);
    }
    return { kekRef, blobStore, container };
  };
}
