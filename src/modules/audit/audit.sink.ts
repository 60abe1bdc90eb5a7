/**
 * The off-box copy of the audit log (ASVS 16.4.3): every chained event of every tenant is pushed,
 * in chain order and with its chain fields, to a sink outside our database, so an administrator
 * who rewrites the database cannot also rewrite the copy. The sink is platform-wide, from config
 * (AUDIT_SINK_URL, AUDIT_SINK_SECRET), and is reached with the webhook machinery: the same
 * SSRF-checked target resolution, the same `Doklad-Signature` HMAC over timestamp and body, the
 * same connect-to-the-checked-address POST.
 *
 * At least once, in order: per tenant, a cursor (audit_sink_cursors) says up to which seq the sink
 * has acknowledged. A push sends the next batch after it; only a 2xx moves the cursor, so a batch
 * whose answer was lost is sent again (the receiver deduplicates by seq, which every event carries).
 * A lease on the cursor row keeps replicas from pushing one tenant at the same time. A failing
 * sink is retried with exponential backoff; lag and the last failure are shown in
 * GET /v1/audit/verification. No audit event is recorded per push (that would feed itself).
 */
import { ValidationFailedError } from '../../core/errors.js';
import { systemContext, type RequestContext } from '../../core/request-context.js';
import type { Clock } from '../../core/clock.js';
import type { Db } from '../../platform/db/db.js';
import type { Logger } from '../../platform/logger.js';
import { startIntervalLoop, type IntervalLoop } from '../../platform/interval-loop.js';
import { signatureHeader, SIGNATURE_HEADER } from '../webhooks/webhook-signature.js';
import { postToTarget } from '../webhooks/webhook-post.js';
import { resolveDeliveryTarget } from '../webhooks/webhook-target.js';
import { checkpointLine, eventLine } from './audit-export-format.js';
import type { OffBoxCopyStatus } from './audit.trail.js';
import * as repo from './audit.repo.js';
import * as cursors from './audit-sink.repo.js';

export const SINK_BODY_FORMAT = 'doklad.audit.sink.v1';

export interface AuditSinkSettings {
  /** Names the sink in the cursor table. */
  readonly name: string;
  readonly url: string;
  readonly secret: string;
  readonly batchSize: number;
  readonly timeoutMs: number;
  readonly allowPrivateTargets: boolean;
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
}

export interface AuditSink {
  /** Pushes what the sink lacks of one tenant's chain, batch by batch (a bounded number per call). */
  pushTenant(tenantId: string): Promise<{ delivered: number; failed: boolean; skipped: boolean }>;
  /** One pass over every tenant. */
  pushAll(signal?: AbortSignal): Promise<{ tenants: number; delivered: number; failed: number }>;
  status(ctx: RequestContext): Promise<OffBoxCopyStatus>;
}

/** Batches per tenant per pass: a tenant with a large backlog does not hold up the others. */
const BATCHES_PER_PASS = 10;

export function createAuditSink(deps: {
  db: Db;
  clock: Clock;
  logger: Logger;
  listTenantIds: () => Promise<string[]>;
  settings: AuditSinkSettings;
}): AuditSink {
  const { db, clock, settings } = deps;
  const ctxFor = (tenantId: string) => systemContext(tenantId, { kind: 'worker', id: 'worker:audit-sink' });
  const leaseMs = settings.timeoutMs * 2 + 5_000;

  async function send(tenantId: string, rows: repo.TrailRow[], signed: repo.StoredCheckpoint[]) {
    const body = JSON.stringify({
      format: SINK_BODY_FORMAT,
      sink: settings.name,
      tenantId,
      events: rows.map(eventLine),
      checkpoints: signed.map(checkpointLine),
    });
    const target = await resolveDeliveryTarget(settings.url, settings.allowPrivateTargets);
    const status = await postToTarget(
      target,
      body,
      {
        [SIGNATURE_HEADER]: signatureHeader(settings.secret, body, Math.floor(clock().getTime() / 1000)),
        'doklad-audit-tenant': tenantId,
        'doklad-audit-first-seq': rows[0]!.seq!.toString(),
        'doklad-audit-last-seq': rows.at(-1)!.seq!.toString(),
      },
      settings.timeoutMs,
    );
    if (status < 200 || status >= 300) throw new Error(`HTTP ${status}`);
  }

  async function pushBatch(
    tenantId: string,
  ): Promise<{ delivered: number; failed: boolean; skipped: boolean }> {
    const ctx = ctxFor(tenantId);
    const now = clock();
    const leased = await db.withTenant(ctx, async (tx) => {
      // Most tenants are quiet most seconds: two indexed reads, and no write, when the sink has
      // everything already.
      const known = await cursors.findCursor(tx, tenantId, settings.name);
      const head = await repo.findChainedHead(tx, tenantId);
      if (!head || (known && known.deliveredSeq >= head.seq)) return 'up_to_date' as const;
      const cursor = await cursors.leaseCursor(
        tx,
        tenantId,
        settings.name,
        now,
        new Date(now.getTime() + leaseMs),
      );
      if (!cursor) return null;
      const from = cursor.deliveredSeq + 1n;
      const rows = await repo.listChainedRange(
        tx,
        tenantId,
        from,
        BigInt('9223372036854775807'),
        settings.batchSize,
      );
      const signed = rows.length
        ? await repo.listCheckpointsInRange(tx, tenantId, from, rows.at(-1)!.seq!)
        : [];
      if (rows.length === 0) await cursors.releaseLease(tx, tenantId, settings.name);
      return { cursor, rows, signed };
    });
    if (!leased) return { delivered: 0, failed: false, skipped: true };
    if (leased === 'up_to_date') return { delivered: 0, failed: false, skipped: false };
    const { cursor, rows, signed } = leased;
    if (rows.length === 0) return { delivered: 0, failed: false, skipped: false };
    try {
      await send(tenantId, rows, signed);
    } catch (error) {
      const failures = cursor.consecutiveFailures + 1;
      const delay = Math.min(settings.backoffMs * 2 ** (failures - 1), settings.maxBackoffMs);
      // Firms see this (GET /v1/audit/verification) about a platform-wide sink: the sink's status
      // or a category, never its address or the network error's text, which stay in the log.
      const reason = error instanceof Error ? error.message : String(error);
      const shown = sinkFailureReason(error);
      await db.withTenant(ctx, (tx) =>
        cursors.markFailed(tx, tenantId, settings.name, {
          error: shown,
          at: clock(),
          retryAt: new Date(clock().getTime() + delay),
        }),
      );
      deps.logger.warn({ tenantId, failures, reason }, 'audit sink push failed; retrying with backoff');
      return { delivered: 0, failed: true, skipped: false };
    }
    const last = rows.at(-1)!;
    await db.withTenant(ctx, async (tx) => {
      const moved = await cursors.markDelivered(
        tx,
        tenantId,
        settings.name,
        cursor.deliveredSeq,
        { seq: last.seq!, hash: last.hash! },
        clock(),
      );
      // Another replica took an expired lease and got further: harmless (at least once).
      if (!moved) deps.logger.warn({ tenantId }, 'audit sink cursor moved meanwhile; batch was sent twice');
    });
    return { delivered: rows.length, failed: false, skipped: false };
  }

  const sink: AuditSink = {
    async pushTenant(tenantId) {
      let delivered = 0;
      for (let i = 0; i < BATCHES_PER_PASS; i++) {
        const batch = await pushBatch(tenantId);
        delivered += batch.delivered;
        if (batch.failed || batch.skipped) return { ...batch, delivered };
        if (batch.delivered < settings.batchSize) break;
      }
      return { delivered, failed: false, skipped: false };
    },

    async pushAll(signal) {
      const tenantIds = await deps.listTenantIds();
      let delivered = 0;
      let failed = 0;
      for (const tenantId of tenantIds) {
        if (signal?.aborted) break;
        try {
          const result = await sink.pushTenant(tenantId);
          delivered += result.delivered;
          if (result.failed) failed += 1;
        } catch (error) {
          failed += 1;
          deps.logger.error({ err: error, tenantId }, 'audit sink pass failed for a tenant');
        }
      }
      return { tenants: tenantIds.length, delivered, failed };
    },

    async status(ctx) {
      return db.withTenant(ctx, async (tx) => {
        const cursor = await cursors.findCursor(tx, ctx.tenantId, settings.name);
        const head = await repo.findChainedHead(tx, ctx.tenantId);
        const deliveredSeq = cursor?.deliveredSeq ?? 0n;
        return {
          sink: settings.name,
          deliveredSeq: deliveredSeq.toString(),
          pendingEvents: Number((head?.seq ?? 0n) - deliveredSeq),
          lastDeliveredAt: cursor?.lastDeliveredAt ?? null,
          consecutiveFailures: cursor?.consecutiveFailures ?? 0,
          lastError: cursor?.lastError ?? null,
          nextAttemptAt: cursor?.nextAttemptAt ?? null,
        };
      });
    },
  };
  return sink;
}

/** What a firm is told about a failed push. */
export function sinkFailureReason(error: unknown): string {
  const message = error instanceof Error ? error.message : '';
  if (/^HTTP \d{3}$/.test(message)) return message;
  if (error instanceof ValidationFailedError)
    return 'target_refused: the sink address is refused by the SSRF checks (WEBHOOKS_ALLOW_PRIVATE_TARGETS)';
  if (/no answer within/.test(message)) return 'timeout: the sink did not answer in time';
  return 'unreachable: the sink could not be reached';
}

export type RunningSinkLoop = IntervalLoop;

/** Runs `pushAll` every `intervalMs` in the worker process, like the chain loop. */
export function startAuditSinkLoop(
  sink: AuditSink,
  settings: { intervalMs: number; logger: Logger },
): RunningSinkLoop {
  return startIntervalLoop(
    async (signal) => {
      const result = await sink.pushAll(signal);
      if (result.delivered > 0) settings.logger.debug(result, 'audit events pushed to the off-box sink');
    },
    { ...settings, failureMessage: 'audit sink pass failed; retrying' },
  );
}
