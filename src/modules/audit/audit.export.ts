/**
 * The streaming audit export (GET /v1/audit-events/export): the tenant's chained events of a time
 * range as JSON Lines (audit-export-format.ts), read in batches so memory stays constant however
 * long the range. The file verifies offline (audit-offline-verify.ts) with the public key alone:
 *
 * - It runs without gaps from the first chained event of the range to the first signed checkpoint
 *   at or after its last one, so every exported event is covered by a signature; when no
 *   checkpoint covers the range's end yet, one is signed now for the chained head. The file may
 *   therefore hold a few events just after `to`: they are what links the range to a signature.
 * - Checkpoints follow the event they sign, so the verifier keeps only the last hash.
 * - Events recorded but not chained yet are not exported: they have no place in the chain yet.
 */
import type { RequestContext } from '../../core/request-context.js';
import type { SignatureVerifier } from '../../platform/crypto/signing-key.js';
import type { Db } from '../../platform/db/db.js';
import type { AuditService } from './audit.service.js';
import { checkpointLine, eventLine, EXPORT_FORMAT } from './audit-export-format.js';
import * as repo from './audit.repo.js';
import { assertFirmWideReader } from './audit.trail.js';

const BATCH = 1_000;

export interface AuditExportRange {
  readonly from?: Date | undefined;
  readonly to?: Date | undefined;
}

export interface AuditExporter {
  /** Records the export, fixes its extent, then yields its lines (each ending in "\n"). */
  exportLines(ctx: RequestContext, range: AuditExportRange): Promise<AsyncIterable<string>>;
}

export function createAuditExporter(deps: {
  db: Db;
  audit: AuditService;
  verifier: SignatureVerifier;
  now: () => Date;
}): AuditExporter {
  const { db, audit } = deps;
  const line = (value: unknown) => `${JSON.stringify(value)}\n`;

  /** The seq range to export, ending on a checkpoint; null when the range has no chained event. */
  async function extentOf(ctx: RequestContext, range: AuditExportRange) {
    const found = await db.withTenant(ctx, async (tx) => {
      await audit.record(tx, ctx, {
        action: 'audit_log.exported',
        payload: { from: range.from?.toISOString() ?? null, to: range.to?.toISOString() ?? null },
      });
      const seqs = await repo.findSeqRange(tx, ctx.tenantId, range.from, range.to);
      const covering = seqs && (await repo.findCheckpointAtOrAfter(tx, ctx.tenantId, seqs.last));
      return { seqs, covering };
    });
    if (!found.seqs) return null;
    // Signing takes the chain lock briefly; the head is at or past the range's last event.
    const endSeq = found.covering
      ? found.covering.seq
      : BigInt((await audit.createCheckpoint(ctx))?.seq ?? found.seqs.last);
    return { first: found.seqs.first, end: endSeq };
  }

  async function* linesOf(
    ctx: RequestContext,
    range: AuditExportRange,
    extent: { first: bigint; end: bigint } | null,
  ): AsyncGenerator<string> {
    yield line({
      record: 'header',
      format: EXPORT_FORMAT,
      tenantId: ctx.tenantId,
      exportedAt: deps.now().toISOString(),
      from: range.from?.toISOString() ?? null,
      to: range.to?.toISOString() ?? null,
      firstSeq: extent?.first.toString() ?? null,
      lastSeq: extent?.end.toString() ?? null,
      publicKeys: [
        { keyId: deps.verifier.keyId, algorithm: 'Ed25519', publicKeyPem: deps.verifier.publicKeyPem },
      ],
    });
    let events = 0;
    let checkpoints = 0;
    let lastSeq: string | null = null;
    if (extent) {
      let from = extent.first;
      for (;;) {
        // Events and the checkpoints among them, one batch at a time: a year of minutely
        // checkpoints is as long a list as the events, so neither is held whole.
        const { batch, signed } = await db.withTenant(ctx, async (tx) => {
          const rows = await repo.listChainedRange(tx, ctx.tenantId, from, extent.end, BATCH);
          const last = rows.at(-1)?.seq;
          return {
            batch: rows,
            signed: last ? await repo.listCheckpointsInRange(tx, ctx.tenantId, from, last) : [],
          };
        });
        let nextCheckpoint = 0;
        for (const row of batch) {
          yield line(eventLine(row));
          events += 1;
          lastSeq = row.seq!.toString();
          while (nextCheckpoint < signed.length && signed[nextCheckpoint]!.seq === row.seq) {
            yield line(checkpointLine(signed[nextCheckpoint]!));
            nextCheckpoint += 1;
            checkpoints += 1;
          }
        }
        if (batch.length < BATCH) break;
        from = batch.at(-1)!.seq! + 1n;
      }
    }
    yield line({ record: 'end', events, checkpoints, lastSeq });
  }

  return {
    async exportLines(ctx, range) {
      assertFirmWideReader(ctx);
      const extent = await extentOf(ctx, range);
      return linesOf(ctx, range, extent);
    },
  };
}
