/**
 * The tamper-evident audit log: record events inside the caller's transaction, verify a tenant's
 * chain, and sign checkpoints of its head. Recorded events are chained shortly after commit by
 * the chainer (audit.chainer.ts), so recording takes no lock.
 */
import { canonicalJson } from '../../core/canonical-json.js';
import type { RequestContext } from '../../core/request-context.js';
import type { Signer } from '../../platform/crypto/signing-key.js';
import type { Db, Tx } from '../../platform/db/db.js';
import { auditEventsAppended } from '../../platform/metrics.js';
import { checkpointMessage, GENESIS_HASH, hashEvent } from './audit-chain.js';
import * as repo from './audit.repo.js';

export interface AuditEventInput {
  /** `<resource>.<past-tense verb>`, e.g. `document.uploaded`. */
  readonly action: string;
  readonly target?: { readonly type: string; readonly id: string };
  /** Facts about the event. Never secrets: keys named like one are refused. */
  readonly payload?: Readonly<Record<string, unknown>>;
}

export type ChainProblemReason =
  | 'seq_gap'
  | 'prev_hash_mismatch'
  | 'hash_mismatch'
  | 'checkpoint_unknown_key'
  | 'checkpoint_signature_invalid'
  | 'checkpoint_head_mismatch'
  | 'checkpoint_beyond_chain';

export interface ChainProblem {
  readonly seq: string;
  readonly eventId?: string;
  readonly reason: ChainProblemReason;
  readonly message: string;
}

export interface ChainVerification {
  readonly ok: boolean;
  readonly tenantId: string;
  readonly eventsChecked: number;
  readonly checkpointsChecked: number;
  readonly head: { readonly seq: string; readonly hash: string } | null;
  /**
   * Events recorded but not chained yet (the chainer's backlog). They are not verified and not
   * an error: a backlog that only grows, or an old oldest event, means no chainer is running.
   */
  readonly unchained: { readonly count: number; readonly oldestOccurredAt: Date | null };
  /** The first broken link (lowest seq) is first. */
  readonly problems: readonly ChainProblem[];
}

/** Where a tenant's chain stands, cheaply: no verification, three indexed reads. */
export interface ChainStatus {
  readonly head: { readonly seq: string; readonly hash: string; readonly chainedAt: Date } | null;
  readonly unchained: ChainVerification['unchained'];
  readonly latestCheckpoint: Checkpoint | null;
}

export interface Checkpoint {
  readonly seq: string;
  readonly headHash: string;
  readonly keyId: string;
  readonly signedAt: Date;
}

const ACTION = /^[a-z][a-z_]*(\.[a-z][a-z_]*)+$/;
const SECRET_KEY =
  /^(password|new_?password|current_?password|secret|token|session_?token|challenge_?token|totp(_?code|_?secret)?|code|recovery_?codes?|api_?key|authorization|cookie|private_?key)$/i;
const VERIFY_BATCH = 1_000;

function assertNoSecrets(value: unknown, path: string): void {
  if (value === null || typeof value !== 'object') return;
  for (const [key, inner] of Object.entries(value)) {
    if (SECRET_KEY.test(key)) throw new TypeError(`Audit payload key "${path}${key}" looks like a secret`);
    assertNoSecrets(inner, `${path}${key}.`);
  }
}

export interface AuditService {
  record(tx: Tx, ctx: RequestContext, event: AuditEventInput): Promise<void>;
  verifyChain(ctx: RequestContext): Promise<ChainVerification>;
  getChainStatus(ctx: RequestContext): Promise<ChainStatus>;
  /** Signs the chained head; events not chained yet are never covered. */
  createCheckpoint(ctx: RequestContext): Promise<Checkpoint | null>;
}

export function createAuditService(deps: { db: Db; signer: Signer; now?: () => Date }): AuditService {
  const now = deps.now ?? (() => new Date());

  return {
    /**
     * Appends an unchained event in the caller's transaction, so the event exists exactly when
     * the change it describes does. It takes no lock and reads nothing: the chainer gives it its
     * place in the tenant's chain after commit.
     */
    async record(tx, ctx, event) {
      if (!ACTION.test(event.action))
        throw new TypeError(`Audit action "${event.action}" is not <resource>.<verb>`);
      assertNoSecrets(event.payload ?? {}, '');
      // Round-trip through canonical JSON: rejects values JSON cannot hold exactly and stores
      // precisely what will be hashed.
      const payload = JSON.parse(canonicalJson(event.payload ?? {})) as unknown;
      await repo.insertEvent(tx, {
        tenantId: ctx.tenantId,
        occurredAt: now(),
        actorKind: ctx.actor.kind,
        actorId: ctx.actor.id,
        action: event.action,
        targetType: event.target?.type ?? null,
        targetId: event.target?.id ?? null,
        requestId: ctx.requestId ?? null,
        ip: ctx.ip ?? null,
        userAgent: ctx.userAgent?.slice(0, 512) ?? null,
        payload,
      });
      // Counted when the statement succeeded; a transaction rolled back later still counts it.
      auditEventsAppended.inc({ action: event.action });
    },

    async verifyChain(ctx) {
      const problems: ChainProblem[] = [];
      const hashBySeq = new Map<bigint, string>();
      let prevHash = GENESIS_HASH;
      let expectedSeq = 1n;
      let eventsChecked = 0;
      walk: for (;;) {
        const batch = await deps.db.withTenant(ctx, (tx) =>
          repo.listEventsAfter(tx, ctx.tenantId, expectedSeq - 1n, VERIFY_BATCH),
        );
        for (const event of batch) {
          const problem = checkLink(event, expectedSeq, prevHash);
          if (problem) {
            problems.push(problem);
            break walk;
          }
          hashBySeq.set(event.seq, event.hash);
          prevHash = event.hash;
          expectedSeq += 1n;
          eventsChecked += 1;
        }
        if (batch.length < VERIFY_BATCH) break;
      }
      const [checkpoints, unchained] = await deps.db.withTenant(ctx, async (tx) => [
        await repo.listCheckpoints(tx, ctx.tenantId),
        await repo.findBacklog(tx, ctx.tenantId),
      ]);
      const chainIntact = problems.length === 0;
      for (const checkpoint of checkpoints) {
        const problem = checkCheckpoint(checkpoint, hashBySeq, chainIntact, deps.signer);
        if (problem) problems.push(problem);
      }
      problems.sort((a, b) => (BigInt(a.seq) < BigInt(b.seq) ? -1 : BigInt(a.seq) > BigInt(b.seq) ? 1 : 0));
      return {
        ok: problems.length === 0,
        tenantId: ctx.tenantId,
        eventsChecked,
        checkpointsChecked: checkpoints.length,
        head: eventsChecked ? { seq: (expectedSeq - 1n).toString(), hash: prevHash } : null,
        unchained,
        problems,
      };
    },

    async getChainStatus(ctx) {
      return deps.db.withTenant(ctx, async (tx) => {
        const head = await repo.findChainedHead(tx, ctx.tenantId);
        const unchained = await repo.findBacklog(tx, ctx.tenantId);
        const checkpoint = await repo.findLatestCheckpoint(tx, ctx.tenantId);
        return {
          head: head && { seq: head.seq.toString(), hash: head.hash, chainedAt: head.chainedAt },
          unchained,
          latestCheckpoint: checkpoint && {
            seq: checkpoint.seq.toString(),
            headHash: checkpoint.headHash,
            keyId: checkpoint.keyId,
            signedAt: checkpoint.signedAt,
          },
        };
      });
    },

    /**
     * Signs the chained head (never an unchained event); returns the existing checkpoint when the
     * head has not moved. The chain lock keeps a chainer from moving the head meanwhile.
     */
    async createCheckpoint(ctx) {
      return deps.db.withTenant(ctx, async (tx) => {
        await repo.lockChain(tx, ctx.tenantId);
        const head = await repo.findChainedHead(tx, ctx.tenantId);
        if (!head) return null;
        const latest = await repo.findLatestCheckpoint(tx, ctx.tenantId);
        const claim =
          latest && latest.seq === head.seq
            ? latest
            : {
                tenantId: ctx.tenantId,
                seq: head.seq,
                headHash: head.hash,
                signedAt: now(),
                keyId: deps.signer.keyId,
              };
        if (claim !== latest) {
          await repo.insertCheckpoint(tx, {
            ...claim,
            signature: deps.signer.sign(checkpointMessage(claim)),
          });
        }
        return {
          seq: claim.seq.toString(),
          headHash: claim.headHash,
          keyId: claim.keyId,
          signedAt: claim.signedAt,
        };
      });
    },
  };
}

function checkLink(event: repo.StoredEvent, expectedSeq: bigint, prevHash: string): ChainProblem | null {
  const at = { seq: event.seq.toString(), eventId: event.id };
  if (event.seq !== expectedSeq) {
    return { ...at, reason: 'seq_gap', message: `expected event #${expectedSeq} but found #${event.seq}` };
  }
  if (event.prevHash !== prevHash) {
    return {
      ...at,
      reason: 'prev_hash_mismatch',
      message: `event #${event.seq} does not link to event #${event.seq - 1n}`,
    };
  }
  if (hashEvent(prevHash, event) !== event.hash) {
    return {
      ...at,
      reason: 'hash_mismatch',
      message: `event #${event.seq} was modified after it was recorded`,
    };
  }
  return null;
}

function checkCheckpoint(
  checkpoint: repo.StoredCheckpoint,
  hashBySeq: ReadonlyMap<bigint, string>,
  chainIntact: boolean,
  signer: Signer,
): ChainProblem | null {
  const seq = checkpoint.seq.toString();
  if (checkpoint.keyId !== signer.keyId) {
    return {
      seq,
      reason: 'checkpoint_unknown_key',
      message: `checkpoint at #${seq} is signed by unknown key ${checkpoint.keyId}`,
    };
  }
  if (!signer.verify(checkpointMessage(checkpoint), checkpoint.signature, checkpoint.keyId)) {
    return {
      seq,
      reason: 'checkpoint_signature_invalid',
      message: `checkpoint at #${seq} has an invalid signature`,
    };
  }
  const hash = hashBySeq.get(checkpoint.seq);
  if (hash === undefined) {
    // Past a broken link the walk stopped, so a missing hash there says nothing new.
    if (!chainIntact) return null;
    return {
      seq,
      reason: 'checkpoint_beyond_chain',
      message: `checkpoint at #${seq} names an event that no longer exists`,
    };
  }
  if (hash !== checkpoint.headHash) {
    return {
      seq,
      reason: 'checkpoint_head_mismatch',
      message: `event #${seq} differs from the one checkpointed`,
    };
  }
  return null;
}
