/** The privacy module: closing a firm, its record of processing, personal data, data exports. */
import { createDataProcessingService } from '../modules/privacy/privacy.data-processing.js';
import { createExportsService } from '../modules/privacy/privacy.exports.js';
import { EXPORT_QUEUE } from '../modules/privacy/privacy.jobs.js';
import { createOffboardingService } from '../modules/privacy/privacy.offboarding.js';
import { createPersonService } from '../modules/privacy/privacy.person.js';
import type { AuditModule } from './audit.js';
import type { Documents } from './documents.js';
import type { Identity } from './identity.js';
import type { Platform } from './platform.js';

export type Privacy = ReturnType<typeof buildPrivacy>;

export function buildPrivacy(
  platform: Platform,
  { tenants }: Pick<Identity, 'tenants'>,
  { documents, retentionPolicy }: Pick<Documents, 'documents' | 'retentionPolicy'>,
  { auditChainer }: Pick<AuditModule, 'auditChainer'>,
) {
  const { config, db, audit, keyProvider, blobStores, signer, clock, logger } = platform;
  const { privacy } = config;
  return {
    /** Closing a firm: grace period, purge (blobs, KEK, rows) and the signed erasure receipt. */
    offboarding: createOffboardingService({
      db,
      audit,
      auditChainer,
      tenants,
      keyProvider,
      blobStores,
      signer,
      clock,
      logger,
      graceDays: privacy.offboardingGraceDays,
    }),
    dataProcessing: createDataProcessingService({
      db,
      tenants,
      retentionPolicy,
      settings: {
        subProcessors: privacy.subProcessors,
        trashRetentionDays: config.documents.trashRetentionDays,
        backupRetentionDays: privacy.backupRetentionDays,
        offboardingGraceDays: privacy.offboardingGraceDays,
        kmsProvider: config.kms.provider,
      },
    }),
    /** A member's personal data: export for the firm, erasure for the person. */
    persons: createPersonService({ db, audit, documents, clock }),
    /** The firm's data export archive (built by a job, downloaded once through a link). */
    exports: createExportsService({
      db,
      audit,
      auditChainer,
      documents,
      retentionPolicy,
      tenants,
      keyProvider,
      blobStores,
      signer,
      clock,
      logger,
      queue: () => platform.queues.get(EXPORT_QUEUE),
      settings: { linkTtlMs: privacy.exportLinkTtlMs, segmentSize: config.documents.segmentBytes },
    }),
  };
}
