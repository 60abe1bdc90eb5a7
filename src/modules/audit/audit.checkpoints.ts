/**
 * Scheduled checkpoints: a maintenance job (audit.jobs.ts) signs, for every tenant whose chain
 * grew since its latest checkpoint, the chained head. Without it checkpoints were made only by
 * hand, so the newest events (after the last checkpoint) could be deleted unnoticed: a chain
 * truncated at its end still links. Once a checkpoint covers them, `doklad audit verify` reports
 * such a deletion (the checkpoint then names an event that no longer exists, or a different one).
 */
import { systemContext } from '../../core/request-context.js';
import type { Logger } from '../../platform/logger.js';
import type { AuditService } from './audit.service.js';

export interface ScheduledCheckpoints {
  /** One pass over every tenant; idempotent (a tenant whose head has not moved is left alone). */
  checkpointAll(): Promise<{ tenants: number; checkpoints: number }>;
}

export function createScheduledCheckpoints(deps: {
  audit: Pick<AuditService, 'getChainStatus' | 'createCheckpoint'>;
  /** Every tenant whose trail must stay verifiable, suspended ones included. */
  listTenantIds: () => Promise<string[]>;
  logger: Logger;
}): ScheduledCheckpoints {
  const ctxFor = (tenantId: string) =>
    systemContext(tenantId, { kind: 'worker', id: 'worker:audit-checkpoint' });

  return {
    async checkpointAll() {
      const tenantIds = await deps.listTenantIds();
      let checkpoints = 0;
      for (const tenantId of tenantIds) {
        try {
          const ctx = ctxFor(tenantId);
          // A cheap read first: most tenants are quiet most minutes, and createCheckpoint waits
          // for the tenant's chain lock, which the chainer holds while it works.
          const status = await deps.audit.getChainStatus(ctx);
          if (!status.head || status.latestCheckpoint?.seq === status.head.seq) continue;
          if (await deps.audit.createCheckpoint(ctx)) checkpoints += 1;
        } catch (error) {
          // One tenant's failure must not hold up the others; the next pass tries again.
          deps.logger.error({ err: error, tenantId }, 'scheduled audit checkpoint failed for a tenant');
        }
      }
      return { tenants: tenantIds.length, checkpoints };
    },
  };
}
