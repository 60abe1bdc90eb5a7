/**
 * Blob storage over Azure Blob Storage (Azurite locally). It stores opaque bytes: callers hand it
 * ciphertext only, and it knows nothing of documents or keys. Each tenant gets its own container,
 * named from the tenant id so that no user input ever becomes part of a storage path.
 */
import type { Readable } from 'node:stream';
import { BlobServiceClient, newPipeline, RestError } from '@azure/storage-blob';
import { blobStoreErrors } from '../metrics.js';
import { openBlockWriter, type BlobWriter } from './block-writer.js';
import { readReleasingAgentPolicy } from './read-releasing-agents.js';

export type { BlobWriter } from './block-writer.js';

export interface BlobStore {
  /** Container name for a tenant: `<prefix>-<tenant uuid>` (valid: 3-63 lower-case characters). */
  containerFor(tenantId: string): string;
  ensureContainer(container: string): Promise<void>;
  /** Stores a whole stream (a convenience over `openWriter`). */
  upload(container: string, blobName: string, body: Readable): Promise<void>;
  /**
   * A writer that copies bytes into reused block buffers and stores them as it goes; the blob
   * exists once `close()` resolved. `sizeHint` (e.g. Content-Length) sizes the first buffer, so a
   * small document does not take a whole block of memory. `exactBytes`, the size for certain,
   * streams a blob of one block as a single Put Blob; writing more or fewer bytes then fails.
   */
  openWriter(container: string, blobName: string, options?: WriterOptions): BlobWriter;
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

export interface WriterOptions {
  /** The likely size (e.g. from Content-Length): sizes the first buffer. */
  readonly sizeHint?: number | undefined;
  /**
   * The size for certain: a blob that fits one block then streams as one Put Blob from the first
   * byte (writing more or fewer bytes fails the write and stores nothing).
   */
  readonly exactBytes?: number | undefined;
}

export interface BlobListing {
  readonly name: string;
  readonly lastModified: Date;
}

export class BlobNotFoundError extends Error {
  override name = 'BlobNotFoundError';
}

const PING_TIMEOUT_MS = 2_000;

/**
 * The client of one storage account. The connection string gives the account's URL and
 * credential; the pipeline is the SDK's default one with our retry limits, plus the step that
 * frees each socket read once parsed (read-releasing-agents.ts).
 */
function serviceClient(connectionString: string): BlobServiceClient {
  const account = BlobServiceClient.fromConnectionString(connectionString);
  const pipeline = newPipeline(account.credential, {
    retryOptions: { maxTries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 2_000 },
  });
  pipeline.factories.push(readReleasingAgentPolicy());
  return new BlobServiceClient(account.url, pipeline);
}

export function createBlobStore(connectionString: string, containerPrefix: string): BlobStore {
  const service = serviceClient(connectionString);
  const blob = (container: string, name: string) =>
    service.getContainerClient(container).getBlockBlobClient(name);

  const openWriter = (container: string, blobName: string, options?: WriterOptions) =>
    openBlockWriter(blob(container, blobName), options?.sizeHint, options?.exactBytes);

  return countErrors({
    containerFor(tenantId) {
      return `${containerPrefix}-${tenantId.toLowerCase()}`;
    },
    async ensureContainer(container) {
      await service.getContainerClient(container).createIfNotExists();
    },
    async upload(container, blobName, body) {
      const writer = openWriter(container, blobName);
      try {
        for await (const chunk of body as AsyncIterable<Buffer>) {
          writer.write(chunk);
          await writer.ready();
        }
        await writer.close();
      } catch (error) {
        await writer.abort();
        throw error;
      }
    },
    openWriter,
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
    openWriter(container, blobName, options) {
      const writer = store.openWriter(container, blobName, options);
      // One count per writer: a failed block makes ready() and close() both reject.
      let isCounted = false;
      const note = (error: unknown): never => {
        if (!isCounted) blobStoreErrors.inc({ operation: 'write' });
        isCounted = true;
        throw error;
      };
      return {
        write: (bytes) => writer.write(bytes),
        ready: () => writer.ready().catch(note),
        close: () => writer.close().catch(note),
        abort: () => writer.abort(),
      };
    },
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
