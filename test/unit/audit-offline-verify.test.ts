/**
 * The offline verifier on files built in memory: every way of altering an export that it must
 * catch, each named by reason and event, and the intact file it must accept.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkpointMessage, GENESIS_HASH, hashEvent } from '../../src/modules/audit/audit-chain.js';
import {
  chainedEventOf,
  EXPORT_FORMAT,
  type ExportEventLine,
} from '../../src/modules/audit/audit-export-format.js';
import { MAX_LINE_CHARS, verifyExport } from '../../src/modules/audit/audit-offline-verify.js';
import { signerFromPrivateKey, verifierFromPublicKey } from '../../src/platform/crypto/signing-key.js';

const signer = signerFromPrivateKey(generateKeyPairSync('ed25519').privateKey);
const verifier = verifierFromPublicKey(signer.publicKeyPem);
const tenantId = randomUUID();

type Line = Record<string, unknown>;

/** An export of events #first..#last with a checkpoint after each seq in `signedAt`. */
function buildExport(first: number, last: number, signedAt: number[], anchor = GENESIS_HASH): Line[] {
  const lines: Line[] = [
    {
      record: 'header',
      format: EXPORT_FORMAT,
      tenantId,
      exportedAt: new Date().toISOString(),
      from: null,
      to: null,
      firstSeq: String(first),
      lastSeq: String(last),
      publicKeys: [{ keyId: signer.keyId, algorithm: 'Ed25519', publicKeyPem: signer.publicKeyPem }],
    },
  ];
  let prevHash = anchor;
  let events = 0;
  let checkpoints = 0;
  for (let seq = first; seq <= last; seq++) {
    const base: ExportEventLine = {
      record: 'event',
      id: randomUUID(),
      tenantId,
      seq: String(seq),
      occurredAt: new Date(1_700_000_000_000 + seq).toISOString(),
      actorKind: 'user',
      actorId: randomUUID(),
      action: 'document.content_read',
      targetType: 'document',
      targetId: randomUUID(),
      requestId: null,
      ip: '203.0.113.7',
      userAgent: null,
      payload: { n: seq },
      prevHash,
      hash: '',
      chainedAt: new Date(1_700_000_000_500 + seq).toISOString(),
    };
    const hash = hashEvent(prevHash, chainedEventOf(base));
    lines.push({ ...base, hash });
    events += 1;
    prevHash = hash;
    if (signedAt.includes(seq)) {
      const claim = { tenantId, seq: BigInt(seq), headHash: hash, signedAt: new Date(), keyId: signer.keyId };
      lines.push({
        record: 'checkpoint',
        tenantId,
        seq: String(seq),
        headHash: hash,
        keyId: signer.keyId,
        signature: signer.sign(checkpointMessage(claim)),
        signedAt: claim.signedAt.toISOString(),
      });
      checkpoints += 1;
    }
  }
  lines.push({ record: 'end', events, checkpoints, lastSeq: events ? String(last) : null });
  return lines;
}

async function* linesOf(lines: (Line | string)[]): AsyncGenerator<string> {
  for (const line of lines) yield typeof line === 'string' ? line : JSON.stringify(line);
}

const verify = (lines: (Line | string)[], keys = [verifier]) => verifyExport(linesOf(lines), keys);
const eventAt = (lines: Line[], seq: number) =>
  lines.findIndex((l) => l.record === 'event' && l.seq === String(seq));

describe('offline audit export verification', () => {
  it('accepts an intact, fully signed export from the genesis', async () => {
    const report = await verify(buildExport(1, 6, [3, 6]));
    expect(report).toMatchObject({
      ok: true,
      tenantId,
      eventsChecked: 6,
      checkpointsChecked: 2,
      firstSeq: '1',
      lastSeq: '6',
      fromGenesis: true,
      problem: null,
    });
  });

  it('accepts a slice that starts later, anchored on its first prevHash and vouched for by its checkpoint', async () => {
    const report = await verify(buildExport(40, 45, [45], 'a'.repeat(64)));
    expect(report).toMatchObject({ ok: true, fromGenesis: false, firstSeq: '40', eventsChecked: 6 });
  });

  it('names the altered event when a field changes', async () => {
    const lines = buildExport(1, 5, [5]);
    const i = eventAt(lines, 3);
    lines[i] = { ...lines[i], ip: '198.51.100.1' };
    const report = await verify(lines);
    expect(report.ok).toBe(false);
    expect(report.problem).toMatchObject({
      reason: 'hash_mismatch',
      seq: '3',
      eventId: lines[i]!.id,
      line: i + 1,
    });
  });

  it('catches a removed event, reordered events and a forged genesis', async () => {
    const removed = buildExport(1, 5, [5]);
    removed.splice(eventAt(removed, 2), 1);
    expect((await verify(removed)).problem).toMatchObject({ reason: 'seq_gap', seq: '3' });

    const reordered = buildExport(1, 5, [5]);
    const a = eventAt(reordered, 2);
    [reordered[a], reordered[a + 1]] = [reordered[a + 1]!, reordered[a]!];
    expect((await verify(reordered)).problem).toMatchObject({ reason: 'seq_gap' });

    const forged = buildExport(1, 3, [3], 'b'.repeat(64));
    expect((await verify(forged)).problem).toMatchObject({ reason: 'prev_hash_mismatch', seq: '1' });
  });

  it('catches a cut-off file, a removed tail and a tail no checkpoint signs', async () => {
    const full = buildExport(1, 5, [5]);
    expect((await verify(full.slice(0, -1))).problem).toMatchObject({ reason: 'truncated' });
    // Tail and its checkpoint removed, end record kept: the counts give it away.
    expect((await verify([...full.slice(0, -3), full.at(-1)!])).problem).toMatchObject({
      reason: 'count_mismatch',
    });
    expect((await verify(buildExport(1, 5, [3]))).problem).toMatchObject({
      reason: 'unsigned_tail',
      seq: '4',
    });
    expect((await verify(buildExport(1, 5, []))).problem).toMatchObject({ reason: 'no_checkpoint' });
  });

  it('refuses checkpoints with a bad signature, an unknown key, or out of place', async () => {
    const badSig = buildExport(1, 3, [3]);
    const c = badSig.findIndex((l) => l.record === 'checkpoint');
    badSig[c] = { ...badSig[c], signedAt: new Date(0).toISOString() };
    expect((await verify(badSig)).problem).toMatchObject({
      reason: 'checkpoint_signature_invalid',
      seq: '3',
    });

    const other = verifierFromPublicKey(
      signerFromPrivateKey(generateKeyPairSync('ed25519').privateKey).publicKeyPem,
    );
    expect((await verify(buildExport(1, 3, [3]), [other])).problem).toMatchObject({
      reason: 'checkpoint_unknown_key',
    });

    const moved = buildExport(1, 3, [2]);
    const m = moved.findIndex((l) => l.record === 'checkpoint');
    const [cp] = moved.splice(m, 1);
    moved.splice(moved.length - 1, 0, cp!);
    expect((await verify(moved)).problem).toMatchObject({ reason: 'checkpoint_out_of_place' });
  });

  it('refuses malformed input: no header, not JSON, an over-long line, another tenant, lines after the end', async () => {
    const full = buildExport(1, 2, [2]);
    expect((await verify(full.slice(1))).problem).toMatchObject({ reason: 'missing_header' });
    expect((await verify([])).problem).toMatchObject({ reason: 'missing_header' });
    expect((await verify([full[0]!, '{not json'])).problem).toMatchObject({
      reason: 'malformed_line',
      line: 2,
    });
    expect((await verify([full[0]!, 'x'.repeat(MAX_LINE_CHARS + 1)])).problem).toMatchObject({
      reason: 'malformed_line',
    });
    const foreign = buildExport(1, 2, [2]);
    foreign[1] = { ...foreign[1], tenantId: randomUUID() };
    expect((await verify(foreign)).problem).toMatchObject({ reason: 'wrong_tenant', seq: '1' });
    expect((await verify([...full, full[1]!])).problem).toMatchObject({ reason: 'malformed_line' });
  });
});
