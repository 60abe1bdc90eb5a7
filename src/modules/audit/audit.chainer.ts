/**
 * The audit sequencer. Writers append events unchained (audit.service.ts `record`); the chainer
 * gives each committed event of a tenant its `seq`, `prev_hash` and `hash`, in the order it sees
 * them committed. A transaction that committed late may carry a lower ingest id than events
 * already chained: it simply goes next, since seq, not ingest id, is the chain order.
 *
 * No event is chained twice: the tenant's chain lock admits one chainer at a time, the rows are
 * locked FOR UPDATE, the UPDATE only touches rows still unchained, and the append-only trigger
 * refuses setting chain columns twice. None is skipped: each pass takes every visible unchained
 * row from the oldest ingest id on, and an event committed after the pass is seen by the next.
 */
import { systemContext, type RequestContext } from '../../core/request-context.js';
import type { Db } from '../../platform/db/db.js';
import type { Logger } from '../../platform/logger.js';
import { startIntervalLoop } from '../../platform/interval-loop.js';
import {
  auditChainBacklogTenants,
  auditChainLag,
  auditChainLastLag,
  auditEventsChained,
} from '../../platform/metrics.js';
import { GENESIS_HASH, hashEvent } from './audit-chain.js';
import * as repo from './audit.repo.js';

export interface ChainOptions {
  /** Events per transaction (default: the chainer's configured batch size). */
  readonly batchSize?: number;
  /**
   * Return at once when another chainer (or a checkpoint) holds the tenant's chain lock, instead
   * of waiting for it. The background loop skips busy tenants; callers that need the backlog
   * chained before they go on (CLI checkpoint, tests) wait.
   */
  readonly skipIfBusy?: boolean;
  /** Checked between batches: stop early (a graceful shutdown). */
  readonly signal?: AbortSignal;
}

export interface ChainResult {
  readonly chained: number;
  /** The longest time an event of this call waited from `occurred_at` to being chained. */
  readonly maxLagMs: number;
  /** True when the tenant was skipped because its chain lock was held elsewhere. */
  readonly busy: boolean;
}

export interface AuditChainer {
  /** Chains the tenant's committed unchained events, batch by batch, until none is left. */
  chainPending(tenantId: string, options?: ChainOptions): Promise<ChainResult>;
  /** One pass over every tenant with a backlog; busy tenants are left to their chainer. */
  chainAllPending(signal?: AbortSignal): Promise<{ tenants: number; chained: number; maxLagMs: number }>;
}

/** Tenants fetched per pass; the rest come next pass (a pass over 1000 tenants is already long). */
const TENANTS_PER_PASS = 1_000;

export function createAuditChainer(deps: { db: Db; logger: Logger; batchSize: number }): AuditChainer {
  /** One batch in one transaction; null when the lock was busy. */
  async function chainBatch(
    ctx: RequestContext,
    batchSize: number,
    skipIfBusy: boolean,
  ): Promise<{ chained: number; maxLagMs: number } | null> {
    return deps.db.withTenant(ctx, async (tx) => {
      if (skipIfBusy) {
        if (!(await repo.tryLockChain(tx, ctx.tenantId))) return null;
      } else {
        await repo.lockChain(tx, ctx.tenantId);
      }
      const pending = await repo.lockUnchained(tx, ctx.tenantId, batchSize);
      if (pending.length === 0) return { chained: 0, maxLagMs: 0 };
      const head = await repo.findChainedHead(tx, ctx.tenantId);
      let seq = head?.seq ?? 0n;
      let prevHash = head?.hash ?? GENESIS_HASH;
      const links = pending.map((event): repo.ChainLink => {
        seq += 1n;
        const hash = hashEvent(prevHash, { ...event, seq });
        const link = { id: event.id, seq, prevHash, hash };
        prevHash = hash;
        return link;
      });
      const written = await repo.writeLinks(tx, ctx.tenantId, links);
      // Cannot happen while the lock is honoured; if it does, roll the whole batch back.
      if (written.count !== links.length) {
        throw new Error(`audit chainer wrote ${written.count} of ${links.length} links; batch rolled back`);
      }
      return { chained: written.count, maxLagMs: written.maxLagMs };
    });
  }

  const chainer: AuditChainer = {
    async chainPending(tenantId, options = {}) {
      const ctx = systemContext(tenantId, { kind: 'worker', id: 'audit-chainer' });
      const batchSize = options.batchSize ?? deps.batchSize;
      let chained = 0;
      let maxLagMs = 0;
      while (!options.signal?.aborted) {
        const batch = await chainBatch(ctx, batchSize, options.skipIfBusy ?? false);
        if (!batch) return { chained, maxLagMs, busy: true };
        // After the commit: a batch rolled back is chained again by the next pass.
        if (batch.chained > 0) {
          auditEventsChained.inc(batch.chained);
          auditChainLag.observe(batch.maxLagMs / 1000);
        }
        chained += batch.chained;
        maxLagMs = Math.max(maxLagMs, batch.maxLagMs);
        if (batch.chained < batchSize) break;
      }
      return { chained, maxLagMs, busy: false };
    },

    async chainAllPending(signal) {
      const listed = await deps.db.withScope({}, (tx) => repo.listTenantsWithBacklog(tx, TENANTS_PER_PASS));
      // In random order, so that replicas passing at the same time spread over the tenants instead
      // of queueing behind each other in the same order.
      const tenantIds = listed
        .map((id) => ({ id, key: Math.random() }))
        .sort((a, b) => a.key - b.key)
        .map((t) => t.id);
      let chained = 0;
      let maxLagMs = 0;
      for (const tenantId of tenantIds) {
        if (signal?.aborted) break;
        try {
          const result = await chainer.chainPending(tenantId, { skipIfBusy: true, signal });
          chained += result.chained;
          maxLagMs = Math.max(maxLagMs, result.maxLagMs);
        } catch (error) {
          // One tenant's failure must not hold up the others; it is retried next pass.
          deps.logger.error({ err: error, tenantId }, 'audit chaining failed for a tenant');
        }
      }
      auditChainBacklogTenants.set(tenantIds.length);
      if (chained > 0) auditChainLastLag.set(maxLagMs / 1000);
      return { tenants: tenantIds.length, chained, maxLagMs };
    },
  };
  return chainer;
}

export interface RunningChainLoop {
  /** Finishes the current batch, then stops. */
  stop(): Promise<void>;
}

/**
 * Runs `chainAllPending` every `intervalMs` in the worker process. A plain loop rather than a
 * BullMQ repeatable job: the interval is far below what repeatable jobs are meant for, each pass
 * is cheap when there is nothing to do (one index-only query), and several worker replicas may
 * run it at once because each tenant's chain lock admits one chainer and the others skip it.
 */
/** How long a stopping worker may spend chaining what is left. */
const FINAL_PASS_MS = 5_000;

export function startAuditChainLoop(
  chainer: AuditChainer,
  settings: { intervalMs: number; logger: Logger },
): RunningChainLoop {
  const loop = startIntervalLoop(
    async (signal) => {
      const result = await chainer.chainAllPending(signal);
      if (result.chained > 0) settings.logger.debug(result, 'audit events chained');
    },
    { ...settings, failureMessage: 'audit chaining pass failed; retrying' },
  );

  return {
    async stop() {
      await loop.stop();
      // One last pass, bounded in time, so the events of the jobs this worker just finished do
      // not wait for another worker (or the next start) to be chained.
      try {
        await chainer.chainAllPending(AbortSignal.timeout(FINAL_PASS_MS));
      } catch (error) {
        settings.logger.warn({ err: error }, 'final audit chaining pass did not finish');
      }
    },
  };
}
