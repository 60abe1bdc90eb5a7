/** The documents, extractions and webhooks modules: from an upload to the ERP and the webhooks. */
import { createBlobPresenceCheck } from '../modules/documents/documents.blob-presence.js';
import { createDocumentLifecycleService } from '../modules/documents/documents.lifecycle.js';
import { createOrphanBlobSweeper } from '../modules/documents/documents.orphan-blobs.js';
import { createRetentionPolicyService } from '../modules/documents/documents.retention-policy.js';
import { createDocumentsService } from '../modules/documents/documents.service.js';
import { createDocumentUpload } from '../modules/documents/documents.upload.js';
import { createExtractionExportService } from '../modules/extractions/extractions.erp-export.js';
import type { ExtractFunction } from '../modules/extractions/extractions.engine.js';
import { EXTRACTION_QUEUE } from '../modules/extractions/extractions.jobs.js';
import { createExtractionPipeline } from '../modules/extractions/extractions.pipeline.js';
import { createExtractionReviewService } from '../modules/extractions/extractions.review.js';
import { createExtractionsService } from '../modules/extractions/extractions.service.js';
import { createSuppliersService } from '../modules/suppliers/suppliers.service.js';
import { createSharedLabels } from '../modules/suppliers/suppliers.shared-labels.js';
import { createWebhookDelivery } from '../modules/webhooks/webhooks.delivery.js';
import { WEBHOOK_QUEUE } from '../modules/webhooks/webhooks.jobs.js';
import { createWebhookOutbox } from '../modules/webhooks/webhooks.outbox.js';
import { createWebhooksService } from '../modules/webhooks/webhooks.service.js';
import { registryLookupsFromConfig } from '../platform/registries/registries-from-config.js';
import type { Identity } from './identity.js';
import type { Platform } from './platform.js';

export type Documents = ReturnType<typeof buildDocuments>;

/** A `stored` document not queued after this long is enqueued by the reconciler. */
const STORED_GRACE_MS = 30_000;

export function buildDocuments(
  platform: Platform,
  { tenants, companies, automation }: Pick<Identity, 'tenants' | 'companies' | 'automation'>,
  extract: ExtractFunction | undefined,
) {
  const { config, db, audit, clock, logger, blobStores, queues } = platform;
  const settings = config.documents;
  const documents = createDocumentsService({
    db,
    audit,
    tenants,
    companies,
    keyProvider: platform.keyProvider,
    blobStores,
    clock,
  });
  const retentionPolicy = createRetentionPolicyService({ db, audit, clock });
  const webhooks = createWebhooksService({
    db,
    audit,
    secretBox: platform.secretBox,
    clock,
    settings: { allowPrivateTargets: config.webhooks.allowPrivateTargets },
  });
  /** Webhook events as deliveries, written with the change and enqueued after its commit. */
  const webhookOutbox = createWebhookOutbox({
    db,
    tenants,
    clock,
    queue: () => queues.get(WEBHOOK_QUEUE),
    settings: { attempts: config.webhooks.attempts, backoffMs: config.webhooks.backoffMs },
  });
  const { extraction } = config;
  /** Supplier profiles: what corrections taught (learning within the tenant). */
  const suppliers = createSuppliersService({ db, audit });
  /** Label variants shared across firms whose training consent is given (a maintenance job). */
  const sharedLabels = createSharedLabels({
    db,
    tenants,
    audit,
    clock,
    blocked: config.learning.sharedLabelsBlocked,
  });
  const pipeline = createExtractionPipeline({
    db,
    audit,
    documents,
    tenants,
    suppliers,
    sharedLabels,
    automation,
    redis: platform.redis,
    clock,
    webhooks: webhookOutbox,
    extract,
    queue: () => queues.get(EXTRACTION_QUEUE),
    registries: registryLookupsFromConfig(config.registries),
    settings: {
      timeoutMs: extraction.timeoutMs,
      schemaDir: extraction.schemaDir,
      attempts: extraction.attempts,
      backoffMs: extraction.backoffMs,
      keyPrefix: config.redis.keyPrefix,
      storedGraceMs: STORED_GRACE_MS,
      // Past every attempt's timeout, a run whose job vanished is re-enqueued.
      runningGraceMs: extraction.timeoutMs * (extraction.attempts + 1),
    },
  });
  /** The upload: stores, records and hands the document to the pipeline (documents.upload.ts). */
  const uploads = createDocumentUpload({
    db,
    audit,
    tenants,
    companies,
    documents,
    processing: { submit: pipeline.submitRun },
    keyProvider: platform.keyProvider,
    blobStores,
    clock,
    logger,
    maxBytes: settings.maxBytes,
    segmentSize: settings.segmentBytes,
  });
  return {
    documents,
    lifecycle: createDocumentLifecycleService({
      db,
      audit,
      tenants,
      blobStores,
      clock,
      trashRetentionDays: settings.trashRetentionDays,
    }),
    /** Deletes blobs no document row names (a scheduled maintenance job). */
    orphanBlobs: createOrphanBlobSweeper({
      db,
      audit,
      tenants,
      blobStores,
      clock,
      logger,
      graceMs: settings.orphanBlobGraceMs,
    }),
    /** For /readyz: the blob store still holds what the database lists (sampled, cached). */
    blobPresence: createBlobPresenceCheck({ db, tenants, blobStores, clock }),
    retentionPolicy,
    extractions: createExtractionsService({ db, audit, documents }),
    review: createExtractionReviewService({
      db,
      audit,
      documents,
      webhooks: webhookOutbox,
      suppliers,
      clock,
    }),
    suppliers,
    sharedLabels,
    erpExport: createExtractionExportService({ db, audit, documents, clock }),
    pipeline,
    uploads,
    webhooks,
    webhookOutbox,
    /** Sends one delivery (the worker's `deliver` job). */
    webhookDeliveries: createWebhookDelivery({
      db,
      audit,
      secretBox: platform.secretBox,
      clock,
      settings: {
        allowPrivateTargets: config.webhooks.allowPrivateTargets,
        timeoutMs: config.webhooks.timeoutMs,
        disableAfterFailures: config.webhooks.disableAfterFailures,
      },
    }),
  };
}
