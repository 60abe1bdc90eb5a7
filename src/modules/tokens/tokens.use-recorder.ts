/**
 * Records every request made with an integration token without making requests wait for it or
 * for each other. Uses are buffered in memory and written every `flushMs` (and at shutdown) in one
 * transaction per tenant: one `api_token_uses` row per request (who, when, IP, route, status), the
 * tokens' last use, and one chained `token.used` audit event per token that summarises the batch
 * and carries a SHA-256 digest of its rows, so the rows are as tamper-evident as the chain.
 *
 * What a crash can lose: the uses of at most the last `flushMs` (the previous design, which wrote
 * after the response was sent, could also lose the request in flight). A batch whose write fails
 * is kept and retried on the next flush, up to `maxBuffered` uses.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../core/canonical-json.js';
import type { Clock } from '../../core/clock.js';
import type { RequestContext } from '../../core/request-context.js';
import type { Db } from '../../platform/db/db.js';
import type { Logger } from '../../platform/logger.js';
import { tokenUses } from '../../platform/metrics.js';
import type { AuditService } from '../audit/audit.service.js';
import * as repo from './tokens.repo.js';

export interface TokenUseDetails {
  readonly method: string;
  /** The route template (`/v1/documents/:id`), never the raw URL: bounded and free of ids. */
  readonly route: string;
  readonly statusCode: number;
}

export interface TokenUseRecorder {
  /** Buffers one use; never throws, never waits. */
  record(ctx: RequestContext, details: TokenUseDetails): void;
  /** Writes everything buffered so far. */
  flush(): Promise<void>;
  /** Stops the timer and writes what is left. */
  close(): Promise<void>;
}

const DEFAULT_MAX_BUFFERED = 50_000;

export function createTokenUseRecorder(deps: {
  db: Db;
  audit: AuditService;
  clock: Clock;
  logger: Logger;
  flushMs: number;
  maxBuffered?: number;
}): TokenUseRecorder {
  const maxBuffered = deps.maxBuffered ?? DEFAULT_MAX_BUFFERED;
  let buffer: repo.TokenUse[] = [];
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> = Promise.resolve();

  async function writeTenantBatch(tenantId: string, uses: readonly repo.TokenUse[]): Promise<void> {
    const byToken = Map.groupBy(uses, (use) => use.tokenId);
    await deps.db.withTenant(
      { tenantId, actor: { kind: 'system', id: 'token-use-recorder' } },
      async (tx) => {
        await repo.insertTokenUses(tx, uses);
        for (const [tokenId, tokenUses] of byToken) {
          const last = tokenUses.at(-1)!;
          await repo.recordTokenUse(tx, tenantId, tokenId, last.usedAt, last.ip ?? '');
          const ctx: RequestContext = {
            tenantId,
            actor: { kind: 'token', id: tokenId },
            permissions: new Set(),
            ...(last.ip ? { ip: last.ip } : {}),
          };
          await deps.audit.record(tx, ctx, {
            action: 'token.used',
            target: { type: 'token', id: tokenId },
            payload: summarise(tokenUses),
          });
        }
      },
    );
  }

  async function flushNow(): Promise<void> {
    if (buffer.length === 0) return;
    const batch = buffer;
    buffer = [];
    for (const [tenantId, uses] of Map.groupBy(batch, (use) => use.tenantId)) {
      try {
        await writeTenantBatch(tenantId, uses);
      } catch (error) {
        deps.logger.error(
          { err: error, tenantId, uses: uses.length },
          'could not record token uses; retrying',
        );
        buffer = [...uses, ...buffer];
      }
    }
    if (buffer.length > maxBuffered) {
      const dropped = buffer.length - maxBuffered;
      buffer = buffer.slice(dropped);
      deps.logger.error({ dropped }, 'token-use buffer full: the oldest uses were dropped');
    }
  }

  const flush = () => (flushing = flushing.then(flushNow, flushNow));

  return {
    record(ctx, details) {
      tokenUses.inc({ token_id: ctx.actor.id });
      buffer.push({
        tenantId: ctx.tenantId,
        tokenId: ctx.actor.id,
        usedAt: deps.clock(),
        ip: ctx.ip ?? null,
        method: details.method.slice(0, 16),
        route: details.route.slice(0, 300),
        statusCode: details.statusCode,
        requestId: ctx.requestId?.slice(0, 200) ?? null,
      });
      timer ??= setInterval(() => void flush(), deps.flushMs).unref();
    },
    flush,
    async close() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await flush();
    },
  };
}

/** The audit payload for one token's uses in a batch: counts, time span, and a digest of the rows. */
function summarise(uses: readonly repo.TokenUse[]): Record<string, unknown> {
  const count = (key: (use: repo.TokenUse) => string) => {
    const counts: Record<string, number> = {};
    for (const use of uses) counts[key(use)] = (counts[key(use)] ?? 0) + 1;
    return counts;
  };
  const rows = uses.map((use) => ({ ...use, usedAt: use.usedAt.toISOString() }));
  return {
    uses: uses.length,
    firstUsedAt: rows[0]!.usedAt,
    lastUsedAt: rows.at(-1)!.usedAt,
    statusCodes: count((use) => String(use.statusCode)),
    routes: count((use) => `${use.method} ${use.route}`),
    usesDigest: createHash('sha256').update(canonicalJson(rows)).digest('hex'),
  };
}
