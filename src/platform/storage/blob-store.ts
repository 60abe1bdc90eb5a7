/**
 * Blob storage over Azure Blob Storage (Azurite locally). It stores opaque bytes: callers hand it
 * ciphertext only, and it knows nothing of documents or keys. Each tenant gets its own container,
 * named from the tenant id so that no user input ever becomes part of a storage path.
 */
import { Readable } from 'node:stream';
import { BlobServiceClient, RestError } from '@azure/storage-blob';
import { blobStoreErrors } from '../metrics.js';
import { readHead, withHead } from '../streams.js';

export interface BlobStore {
  /** Container name for a tenant: `<prefix>-<tenant uuid>` (valid: 3-63 lower-case characters). */
  containerFor(tenantId: string): string;
  ensureContainer(container: string): Promise<void>;
  upload(container: string, blobName: string, body: Readable): Promise<void>;
  /** Streams a blob, or a byte range of it. Rejects with `BlobNotFoundError` when absent. */
  download(
    container: string,
    blobName: string,
    range?: { offset: number; count?: number },
  ): Promise<Readable>;
  /** Deletes a blob; true when it existed. */
  delete(container: string, blobName: string): Promise<boolean>;
  exists(container: string, blobName: string): Promise<boolean>;
  /**
   * Every blob of a container with the time it was last written (an upload's blob appears, and
   * gets this time, when its last byte is committed). Nothing for a container that does not exist.
   */
  list(container: string): AsyncIterable<BlobListing>;
  /** True when the account answers a service-properties request. */
  ping(): Promise<boolean>;
}

export interface BlobListing {
  readonly name: string;
  readonly lastModified: Date;
}

export class BlobNotFoundError extends Error {
  override name = 'BlobNotFoundError';
}

const UPLOAD_BLOCK_BYTES = 4 * 1024 * 1024;
const UPLOAD_CONCURRENCY = 4;
/**
 * Bodies up to this size (most invoices) are stored with one Put Blob request: half the round
 * trips of staging a block and committing the list, and the blob appears atomically. Larger ones
 * stream in blocks, holding at most this much before the first block goes out.
 */
const SINGLE_PUT_MAX_BYTES = UPLOAD_BLOCK_BYTES;
const PING_TIMEOUT_MS = 2_000;

export function createBlobStore(connectionString: string, containerPrefix: string): BlobStore {
  const service = BlobServiceClient.fromConnectionString(connectionString, {
    retryOptions: { maxTries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 2_000 },
  });
  const blob = (container: string, name: string) =>
    service.getContainerClient(container).getBlockBlobClient(name);

  return countErrors({
    containerFor(tenantId) {
      return `${containerPrefix}-${tenantId.toLowerCase()}`;
    },
    async ensureContainer(container) {
      await service.getContainerClient(container).createIfNotExists();
    },
    async upload(container, blobName, body) {
      const client = blob(container, blobName);
      const source = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
      const head = await readHead(source, SINGLE_PUT_MAX_BYTES + 1);
      if (head.done) {
        // A factory, not a stream: the SDK calls it again when it retries the request.
        await client.upload(() => Readable.from(head.chunks), head.length);
        return;
      }
      await client.uploadStream(
        Readable.from(withHead(head, source)),
        UPLOAD_BLOCK_BYTES,
        UPLOAD_CONCURRENCY,
      );
    },
    async download(container, blobName, range) {
      try {
        const response = await blob(container, blobName).download(range?.offset ?? 0, range?.count);
        if (!response.readableStreamBody) throw new Error('Blob download returned no body');
        return response.readableStreamBody as Readable;
      } catch (error) {
        if (error instanceof RestError && error.statusCode === 404) {
          throw new BlobNotFoundError(`Blob ${container}/${blobName} does not exist`);
        }
        throw error;
      }
    },
    async delete(container, blobName) {
      const response = await blob(container, blobName).deleteIfExists({ deleteSnapshots: 'include' });
      return response.succeeded;
    },
    async exists(container, blobName) {
      return blob(container, blobName).exists();
    },
    async *list(container) {
      const client = service.getContainerClient(container);
      try {
        for await (const item of client.listBlobsFlat()) {
          yield { name: item.name, lastModified: item.properties.lastModified };
        }
      } catch (error) {
        if (error instanceof RestError && error.statusCode === 404) return;
        throw error;
      }
    },
    async ping() {
      try {
        await service.getProperties({ abortSignal: AbortSignal.timeout(PING_TIMEOUT_MS) });
        return true;
      } catch {
        blobStoreErrors.inc({ operation: 'ping' });
        return false;
      }
    },
  });
}

/**
 * Counts failed operations (`doklad_blob_store_errors_total`). A missing blob is an answer, not
 * an error of the store, so `BlobNotFoundError` is not counted.
 */
function countErrors(store: BlobStore): BlobStore {
  const counted =
    <A extends unknown[], R>(operation: string, call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await call(...args);
      } catch (error) {
        if (!(error instanceof BlobNotFoundError)) blobStoreErrors.inc({ operation });
        throw error;
      }
    };
  return {
    ...store,
    ensureContainer: counted('ensure_container', store.ensureContainer),
    upload: counted('upload', store.upload),
    download: counted('download', store.download),
    delete: counted('delete', store.delete),
    exists: counted('exists', store.exists),
    async *list(container) {
      try {
        yield* store.list(container);
      } catch (error) {
        blobStoreErrors.inc({ operation: 'list' });
        throw error;
      }
    },
  };
}
