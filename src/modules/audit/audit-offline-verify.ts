/**
 * Verifies an audit export (audit-export-format.ts) with nothing but the file and the published
 * public key: recomputes every event's hash from its fields and the previous hash, checks that
 * seq runs without gaps, and checks each checkpoint's signature and that it names the hash just
 * computed. Memory stays constant: checkpoints follow the event they sign, so only the last hash
 * is kept. `doklad audit verify --file` runs it; the firm can run it on its own machines.
 */
import type { SignatureVerifier } from '../../platform/crypto/signing-key.js';
import { checkpointMessage, GENESIS_HASH, hashEvent } from './audit-chain.js';
import {
  chainedEventOf,
  ExportCheckpointLine,
  ExportEndLine,
  ExportEventLine,
  ExportHeaderLine,
} from './audit-export-format.js';

export type OfflineProblemReason =
  | 'malformed_line'
  | 'missing_header'
  | 'wrong_tenant'
  | 'seq_gap'
  | 'prev_hash_mismatch'
  | 'hash_mismatch'
  | 'checkpoint_unknown_key'
  | 'checkpoint_signature_invalid'
  | 'checkpoint_head_mismatch'
  | 'checkpoint_out_of_place'
  | 'no_checkpoint'
  | 'unsigned_tail'
  | 'count_mismatch'
  | 'truncated';

export interface OfflineProblem {
  readonly line: number;
  readonly reason: OfflineProblemReason;
  readonly seq?: string;
  readonly eventId?: string;
  readonly message: string;
}

export interface OfflineVerification {
  readonly ok: boolean;
  readonly tenantId: string | null;
  readonly eventsChecked: number;
  readonly checkpointsChecked: number;
  readonly firstSeq: string | null;
  readonly lastSeq: string | null;
  /** True when the file starts at the tenant's first event (its prevHash is the genesis hash). */
  readonly fromGenesis: boolean;
  /** The first problem found; verification stops there. */
  readonly problem: OfflineProblem | null;
}

/** A line longer than this is refused before parsing (the largest event is far smaller). */
export const MAX_LINE_CHARS = 1_000_000;

function parseLine(text: string): unknown {
  if (text.length > MAX_LINE_CHARS) throw new Error(`longer than ${MAX_LINE_CHARS} characters`);
  return JSON.parse(text) as unknown;
}

export async function verifyExport(
  lines: AsyncIterable<string>,
  keys: readonly SignatureVerifier[],
): Promise<OfflineVerification> {
  let lineNo = 0;
  let tenantId: string | null = null;
  let firstSeq: bigint | null = null;
  let lastSeq: bigint | null = null;
  let lastHash: string | null = null;
  let lastEventId: string | undefined;
  let lastSignedSeq: bigint | null = null;
  let events = 0;
  let checkpoints = 0;
  let ended = false;

  const result = (problem: OfflineProblem | null): OfflineVerification => ({
    ok: problem === null,
    tenantId,
    eventsChecked: events,
    checkpointsChecked: checkpoints,
    firstSeq: firstSeq?.toString() ?? null,
    lastSeq: lastSeq?.toString() ?? null,
    fromGenesis: firstSeq === 1n,
    problem,
  });
  const fail = (reason: OfflineProblemReason, message: string, at: Partial<OfflineProblem> = {}) =>
    result({ line: lineNo, reason, message, ...at });

  for await (const raw of lines) {
    lineNo += 1;
    if (raw.trim() === '') continue;
    if (ended) return fail('malformed_line', `line ${lineNo} follows the end record`);
    let value: unknown;
    try {
      value = parseLine(raw);
    } catch (error) {
      return fail('malformed_line', `line ${lineNo} is not JSON: ${(error as Error).message}`);
    }
    const record = (value as { record?: unknown } | null)?.record;
    if (tenantId === null) {
      const header = ExportHeaderLine.safeParse(value);
      if (!header.success) return fail('missing_header', `line ${lineNo} is not an export header`);
      tenantId = header.data.tenantId;
      continue;
    }
    if (record === 'event') {
      const parsed = ExportEventLine.safeParse(value);
      if (!parsed.success) return fail('malformed_line', `line ${lineNo} is not a valid event`);
      const line = parsed.data;
      const at = { seq: line.seq, eventId: line.id };
      if (line.tenantId !== tenantId)
        return fail('wrong_tenant', `event #${line.seq} belongs to another tenant`, at);
      const seq = BigInt(line.seq);
      if (lastSeq === null) {
        firstSeq = seq;
        // A file that starts at #1 must start at the genesis; one that starts later is anchored
        // on its first prevHash, which the first checkpoint then vouches for.
        if (seq === 1n && line.prevHash !== GENESIS_HASH)
          return fail('prev_hash_mismatch', `event #1 does not start from the genesis hash`, at);
      } else {
        if (seq !== lastSeq + 1n)
          return fail('seq_gap', `expected event #${lastSeq + 1n} but found #${seq}`, at);
        if (line.prevHash !== lastHash)
          return fail('prev_hash_mismatch', `event #${seq} does not link to event #${lastSeq}`, at);
      }
      if (hashEvent(line.prevHash, chainedEventOf(line)) !== line.hash)
        return fail('hash_mismatch', `event #${seq} (id ${line.id}) was modified after it was recorded`, at);
      lastSeq = seq;
      lastHash = line.hash;
      lastEventId = line.id;
      events += 1;
      continue;
    }
    if (record === 'checkpoint') {
      const parsed = ExportCheckpointLine.safeParse(value);
      if (!parsed.success) return fail('malformed_line', `line ${lineNo} is not a valid checkpoint`);
      const cp = parsed.data;
      const at = { seq: cp.seq, ...(lastEventId ? { eventId: lastEventId } : {}) };
      if (cp.tenantId !== tenantId)
        return fail('wrong_tenant', `checkpoint at #${cp.seq} belongs to another tenant`, at);
      if (lastSeq === null || BigInt(cp.seq) !== lastSeq)
        return fail(
          'checkpoint_out_of_place',
          `checkpoint at #${cp.seq} does not follow event #${cp.seq}`,
          at,
        );
      const key = keys.find((k) => k.keyId === cp.keyId);
      if (!key)
        return fail(
          'checkpoint_unknown_key',
          `checkpoint at #${cp.seq} is signed by unknown key ${cp.keyId}`,
          at,
        );
      const claim = { ...cp, seq: BigInt(cp.seq), signedAt: new Date(cp.signedAt) };
      if (!key.verify(checkpointMessage(claim), cp.signature, cp.keyId))
        return fail('checkpoint_signature_invalid', `checkpoint at #${cp.seq} has an invalid signature`, at);
      if (cp.headHash !== lastHash)
        return fail(
          'checkpoint_head_mismatch',
          `event #${cp.seq} (id ${lastEventId}) differs from the one checkpointed: it or an earlier event was altered`,
          at,
        );
      lastSignedSeq = lastSeq;
      checkpoints += 1;
      continue;
    }
    if (record === 'end') {
      const parsed = ExportEndLine.safeParse(value);
      if (!parsed.success) return fail('malformed_line', `line ${lineNo} is not a valid end record`);
      if (
        parsed.data.events !== events ||
        parsed.data.checkpoints !== checkpoints ||
        parsed.data.lastSeq !== (lastSeq?.toString() ?? null)
      )
        return fail('count_mismatch', `the end record counts differ from the lines read: lines were removed`);
      ended = true;
      continue;
    }
    return fail('malformed_line', `line ${lineNo} is not a header, event, checkpoint or end record`);
  }
  if (tenantId === null) return fail('missing_header', 'the file is empty');
  if (!ended) return fail('truncated', 'the file has no end record: it was cut short');
  if (events > 0 && lastSignedSeq === null)
    return fail('no_checkpoint', 'no signed checkpoint covers the events: nothing in the file is proven');
  if (lastSeq !== null && lastSignedSeq !== lastSeq)
    return fail('unsigned_tail', `events after #${lastSignedSeq} are not covered by a signed checkpoint`, {
      seq: (lastSignedSeq! + 1n).toString(),
    });
  return result(null);
}
