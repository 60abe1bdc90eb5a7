/**
 * The firm's audit trail as its administrators read it (`audit:read`): filtered event pages, one
 * document's access log, the chain verified, checkpoints and public keys, and a streaming export
 * that verifies offline. Every read is itself recorded as one `audit_log.read` event naming what
 * was read; nothing else reacts to those events (the off-box sink records no event per delivery),
 * so a SIEM polling the trail adds exactly one event per request and no loop can build up.
 */
import { ForbiddenError, NotFoundError } from '../../core/errors.js';
import type { RequestContext } from '../../core/request-context.js';
import type { SignatureVerifier } from '../../platform/crypto/signing-key.js';
import type { Db } from '../../platform/db/db.js';
import { decodeCursor, pageOf } from '../cursor.js';
import { checkpointMessage } from './audit-chain.js';
import type { AuditService, ChainProblem, Checkpoint } from './audit.service.js';
import * as repo from './audit.repo.js';

export interface AuditEventView {
  readonly id: string;
  readonly seq: string | null;
  readonly occurredAt: Date;
  readonly actor: { readonly kind: string; readonly id: string };
  readonly action: string;
  readonly target: { readonly type: string; readonly id: string | null } | null;
  readonly requestId: string | null;
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly payload: unknown;
  readonly chain: { readonly prevHash: string; readonly hash: string; readonly chainedAt: Date } | null;
}

/** The API's filter names (actorType, action prefix) for the repository's. */
export interface TrailQuery {
  readonly actorType?: string | undefined;
  readonly actorId?: string | undefined;
  /** An action prefix. */
  readonly action?: string | undefined;
  readonly targetType?: string | undefined;
  readonly targetId?: string | undefined;
  readonly requestId?: string | undefined;
  readonly from?: Date | undefined;
  readonly to?: Date | undefined;
  readonly order: 'asc' | 'desc';
  readonly limit: number;
  readonly cursor?: string | undefined;
}

export interface CheckpointView extends Checkpoint {
  readonly signature: string;
  /** The exact text the signature covers (Ed25519 over its UTF-8 bytes). */
  readonly signedMessage: string;
}

/** The off-box copy's state for one tenant, from audit.sink.ts. */
export interface OffBoxCopyStatus {
  readonly sink: string;
  readonly deliveredSeq: string;
  readonly pendingEvents: number;
  readonly lastDeliveredAt: Date | null;
  readonly consecutiveFailures: number;
  readonly lastError: string | null;
  readonly nextAttemptAt: Date | null;
}

export interface VerificationView {
  readonly ok: boolean;
  readonly eventsChecked: number;
  readonly checkpointsChecked: number;
  readonly head: { readonly seq: string; readonly hash: string } | null;
  readonly latestCheckpoint: Checkpoint | null;
  readonly unchained: { readonly count: number; readonly oldestOccurredAt: Date | null };
  readonly firstProblem: ChainProblem | null;
  readonly problems: ChainProblem[];
  /** null when no off-box sink is configured. */
  readonly offBoxCopy: OffBoxCopyStatus | null;
}

export interface Page<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}

export interface AuditTrailService {
  listEvents(ctx: RequestContext, query: TrailQuery): Promise<Page<AuditEventView>>;
  documentAccessLog(
    ctx: RequestContext,
    documentId: string,
    query: Pick<TrailQuery, 'order' | 'limit' | 'cursor'>,
  ): Promise<Page<AuditEventView>>;
  verify(ctx: RequestContext): Promise<VerificationView>;
  listCheckpoints(
    ctx: RequestContext,
    query: { limit: number; cursor?: string | undefined },
  ): Promise<Page<CheckpointView>>;
  publicKeys(): { keyId: string; algorithm: 'Ed25519'; publicKeyPem: string }[];
  /** Records that the caller read the trail (one event per request). */
  recordRead(ctx: RequestContext, view: string, details?: Record<string, unknown>): Promise<void>;
}

const MAX_PROBLEMS_SHOWN = 20;

export function toEventView(row: repo.TrailRow): AuditEventView {
  return {
    id: row.id,
    seq: row.seq?.toString() ?? null,
    occurredAt: row.occurredAt,
    actor: { kind: row.actorKind, id: row.actorId },
    action: row.action,
    target: row.targetType ? { type: row.targetType, id: row.targetId } : null,
    requestId: row.requestId,
    ip: row.ip,
    userAgent: row.userAgent,
    payload: row.payload,
    chain:
      row.seq !== null && row.hash && row.prevHash && row.chainedAt
        ? { prevHash: row.prevHash, hash: row.hash, chainedAt: row.chainedAt }
        : null,
  };
}

/**
 * The firm-wide trail names documents, people and tokens of every company, so an integration
 * token limited to some companies may not read it (it may read the access log of its documents).
 */
export function assertFirmWideReader(ctx: RequestContext): void {
  if (ctx.companyIds)
    throw new ForbiddenError('A token limited to some companies cannot read the firm-wide audit trail.');
}

/** Filters as the audit event records them: only what was set, dates as text. */
function describeFilter(filter: repo.TrailFilter): Record<string, string> {
  return Object.fromEntries(
    Object.entries(filter)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, v instanceof Date ? v.toISOString() : String(v)]),
  );
}

export function createAuditTrailService(deps: {
  db: Db;
  audit: AuditService;
  verifier: SignatureVerifier;
  /** Throws NotFound when the caller may not see the document (company-restricted tokens). */
  assertDocumentVisible: (ctx: RequestContext, documentId: string) => Promise<void>;
  offBoxStatus?: (ctx: RequestContext) => Promise<OffBoxCopyStatus | null>;
}): AuditTrailService {
  const { db, audit } = deps;

  async function page(
    ctx: RequestContext,
    filter: repo.TrailFilter,
    query: Pick<TrailQuery, 'order' | 'limit' | 'cursor'>,
    read: { view: string; details: Record<string, unknown> },
  ): Promise<Page<AuditEventView>> {
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const rows = await db.withTenant(ctx, async (tx) => {
      await audit.record(tx, ctx, {
        action: 'audit_log.read',
        payload: { view: read.view, ...read.details },
      });
      return repo.listTrail(tx, ctx.tenantId, filter, query.order, query.limit + 1, after);
    });
    const page = pageOf(rows, query.limit, (row) => ({ at: row.occurredAt, id: row.id }));
    return { items: page.rows.map(toEventView), nextCursor: page.nextCursor };
  }

  const service: AuditTrailService = {
    listEvents(ctx, query) {
      assertFirmWideReader(ctx);
      const filter: repo.TrailFilter = {
        actorKind: query.actorType,
        actorId: query.actorId,
        actionPrefix: query.action,
        targetType: query.targetType,
        targetId: query.targetId,
        requestId: query.requestId,
        from: query.from,
        to: query.to,
      };
      return page(ctx, filter, query, { view: 'events', details: { filter: describeFilter(filter) } });
    },

    async documentAccessLog(ctx, documentId, query) {
      // A token limited to some companies sees the log of their documents only.
      if (ctx.companyIds) await deps.assertDocumentVisible(ctx, documentId);
      // Every document has its upload event; no event means no such document in this firm (RLS
      // and the tenant filter both confine the lookup), which is a 404 like any other.
      const known = await db.withTenant(ctx, (tx) =>
        repo.hasEventsFor(tx, ctx.tenantId, 'document', documentId),
      );
      if (!known) throw new NotFoundError('The document does not exist.');
      return page(ctx, { targetType: 'document', targetId: documentId }, query, {
        view: 'document_access_log',
        details: { documentId },
      });
    },

    async verify(ctx) {
      await service.recordRead(ctx, 'verification');
      const report = await audit.verifyChain(ctx);
      const status = await audit.getChainStatus(ctx);
      return {
        ok: report.ok,
        eventsChecked: report.eventsChecked,
        checkpointsChecked: report.checkpointsChecked,
        head: report.head,
        latestCheckpoint: status.latestCheckpoint,
        unchained: report.unchained,
        firstProblem: report.problems[0] ?? null,
        problems: report.problems.slice(0, MAX_PROBLEMS_SHOWN),
        offBoxCopy: (await deps.offBoxStatus?.(ctx)) ?? null,
      };
    },

    async listCheckpoints(ctx, query) {
      const after = query.cursor ? decodeCursor(query.cursor) : undefined;
      const rows = await db.withTenant(ctx, async (tx) => {
        await audit.record(tx, ctx, { action: 'audit_log.read', payload: { view: 'checkpoints' } });
        return repo.listCheckpointPage(tx, ctx.tenantId, query.limit + 1, after);
      });
      const page = pageOf(rows, query.limit, (row) => ({ at: row.signedAt, id: row.id }));
      return {
        items: page.rows.map((c) => ({
          seq: c.seq.toString(),
          headHash: c.headHash,
          keyId: c.keyId,
          signedAt: c.signedAt,
          signature: c.signature,
          signedMessage: checkpointMessage(c),
        })),
        nextCursor: page.nextCursor,
      };
    },

    publicKeys: () => [
      { keyId: deps.verifier.keyId, algorithm: 'Ed25519', publicKeyPem: deps.verifier.publicKeyPem },
    ],

    async recordRead(ctx, view, details = {}) {
      await db.withTenant(ctx, (tx) =>
        audit.record(tx, ctx, { action: 'audit_log.read', payload: { view, ...details } }),
      );
    },
  };
  return service;
}
