/** The audit module past recording (which every module does through `platform.audit`). */
import { createAuditChainer } from '../modules/audit/audit.chainer.js';
import { createScheduledCheckpoints } from '../modules/audit/audit.checkpoints.js';
import { createAuditExporter } from '../modules/audit/audit.export.js';
import { createAuditSink } from '../modules/audit/audit.sink.js';
import { createAuditTrailService } from '../modules/audit/audit.trail.js';
import type { Documents } from './documents.js';
import type { Identity } from './identity.js';
import type { Platform } from './platform.js';

export type AuditModule = ReturnType<typeof buildAudit>;

/** The longest pause between two pushes to a failing off-box sink. */
const SINK_MAX_BACKOFF_MS = 15 * 60_000;

export function buildAudit(
  platform: Platform,
  { tenants }: Pick<Identity, 'tenants'>,
  { documents }: Pick<Documents, 'documents'>,
) {
  const { config, db, audit, signer, clock, logger } = platform;
  const listTenantIds = () => tenants.listAllTenantIds();
  const sink = config.audit.sink;
  const auditSink = sink
    ? createAuditSink({
        db,
        clock,
        logger,
        listTenantIds,
        settings: {
          name: 'platform',
          url: sink.url,
          secret: sink.secret,
          batchSize: sink.batchSize,
          timeoutMs: sink.timeoutMs,
          allowPrivateTargets: config.webhooks.allowPrivateTargets,
          backoffMs: config.webhooks.backoffMs,
          maxBackoffMs: SINK_MAX_BACKOFF_MS,
        },
      })
    : undefined;
  return {
    /** Chains recorded audit events (the worker runs it in a loop; CLI and tests call it). */
    auditChainer: createAuditChainer({ db, logger, batchSize: config.audit.chainBatchSize }),
    /** Signs a checkpoint for every tenant whose chain grew (a scheduled maintenance job). */
    auditCheckpoints: createScheduledCheckpoints({ audit, listTenantIds, logger }),
    /** The audit API's reads: event pages, access logs, verification, checkpoints. */
    auditTrail: createAuditTrailService({
      db,
      audit,
      verifier: signer,
      assertDocumentVisible: async (ctx, id) => {
        await documents.getDocument(ctx, id);
      },
      ...(auditSink ? { offBoxStatus: (ctx) => auditSink.status(ctx) } : {}),
    }),
    auditExporter: createAuditExporter({ db, audit, verifier: signer, now: clock }),
    /** The off-box copy of the audit log; undefined when AUDIT_SINK_URL is not set. */
    auditSink,
  };
}
