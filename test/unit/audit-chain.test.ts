import { describe, expect, it } from 'vitest';
import {
  checkpointMessage,
  GENESIS_HASH,
  hashEvent,
  type ChainedEvent,
} from '../../src/modules/audit/audit-chain.js';

const event: ChainedEvent = {
  tenantId: '7f1c2b3a-0000-4000-8000-000000000001',
  seq: 1n,
  occurredAt: new Date('2026-11-21T10:00:00.000Z'),
  actorKind: 'user',
  actorId: 'u-1',
  action: 'document.uploaded',
  targetType: 'document',
  targetId: 'd-1',
  requestId: 'r-1',
  ip: '203.0.113.7',
  userAgent: 'curl/8',
  payload: { sha256: 'ab', sizeBytes: 10 },
};

describe('audit hash chain', () => {
  it('is deterministic and ignores payload key order', () => {
    expect(hashEvent(GENESIS_HASH, event)).toBe(
      hashEvent(GENESIS_HASH, { ...event, payload: { sizeBytes: 10, sha256: 'ab' } }),
    );
    expect(hashEvent(GENESIS_HASH, event)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes when any covered field or the previous hash changes', () => {
    const base = hashEvent(GENESIS_HASH, event);
    const variants: Partial<ChainedEvent>[] = [
      { seq: 2n },
      { occurredAt: new Date('2026-11-21T10:00:00.001Z') },
      { actorKind: 'token' },
      { actorId: 'u-2' },
      { action: 'document.deleted' },
      { targetId: 'd-2' },
      { requestId: null },
      { ip: '203.0.113.8' },
      { userAgent: null },
      { payload: { sha256: 'ac', sizeBytes: 10 } },
    ];
    for (const change of variants) expect(hashEvent(GENESIS_HASH, { ...event, ...change })).not.toBe(base);
    expect(hashEvent('f'.repeat(64), event)).not.toBe(base);
  });

  it('ignores extra properties of a stored row (id, hashes)', () => {
    const row = { ...event, id: 'x', prevHash: GENESIS_HASH, hash: 'y' };
    expect(hashEvent(GENESIS_HASH, row)).toBe(hashEvent(GENESIS_HASH, event));
  });

  it('signs checkpoints over a versioned, canonical message', () => {
    const message = checkpointMessage({
      tenantId: event.tenantId,
      seq: 5n,
      headHash: 'a'.repeat(64),
      signedAt: new Date('2026-11-21T10:00:00Z'),
      keyId: 'ed25519:k',
    });
    expect(JSON.parse(message)).toEqual({
      headHash: 'a'.repeat(64),
      keyId: 'ed25519:k',
      kind: 'doklad.audit.checkpoint.v1',
      seq: '5',
      signedAt: '2026-11-21T10:00:00.000Z',
      tenantId: event.tenantId,
    });
  });
});
