import { describe, expect, it } from 'vitest';
import { createPrincipalCache } from '../../src/modules/auth/principal-cache.js';

const T1 = '11111111-1111-4111-8111-111111111111';
const T2 = '22222222-2222-4222-8222-222222222222';
const U1 = '33333333-3333-4333-8333-333333333333';
const U2 = '44444444-4444-4444-8444-444444444444';

function cache(options: { ttlMs?: number; maxEntries?: number; trustworthy?: () => boolean } = {}) {
  let now = 1_000;
  const c = createPrincipalCache<string>({
    ttlMs: options.ttlMs ?? 1_000,
    maxEntries: options.maxEntries ?? 10,
    isTrustworthy: options.trustworthy ?? (() => true),
    nowMs: () => now,
  });
  return { c, advance: (ms: number) => (now += ms) };
}

describe('principal cache', () => {
  it('serves an entry until its TTL, then forgets it', () => {
    const { c, advance } = cache();
    c.set('a', 'A', { tenantId: T1, userId: U1 }, c.version());
    advance(999);
    expect(c.get('a')).toBe('A');
    advance(1);
    expect(c.get('a')).toBeUndefined();
  });

  it('forgets every entry of a tenant, or of a person in every tenant, and nothing else', () => {
    const { c } = cache();
    c.set('a', 'A', { tenantId: T1, userId: U1 }, c.version());
    c.set('b', 'B', { tenantId: T1, userId: U2 }, c.version());
    c.set('c', 'C', { tenantId: T2, userId: U1 }, c.version());
    c.set('d', 'D', { tenantId: T2, userId: U2 }, c.version());
    c.applyNotification(`tenant:${T1}`);
    expect([c.get('a'), c.get('b'), c.get('c'), c.get('d')]).toEqual([undefined, undefined, 'C', 'D']);
    c.applyNotification(`user:${U1}`);
    expect([c.get('c'), c.get('d')]).toEqual([undefined, 'D']);
  });

  it('empties itself on a notification it cannot read, rather than guess', () => {
    const { c } = cache();
    c.set('a', 'A', { tenantId: T1, userId: U1 }, c.version());
    c.applyNotification('something else');
    expect(c.get('a')).toBeUndefined();
  });

  it('does not store a load that raced with a change (it may predate the change)', () => {
    const { c } = cache();
    const loadedAt = c.version();
    c.forget({ userId: U2 }); // a change arrives while the principal is being read
    c.set('a', 'A', { tenantId: T1, userId: U1 }, loadedAt);
    expect(c.get('a')).toBeUndefined();
  });

  it('serves and stores nothing while changes could be missed', () => {
    let listening = true;
    const { c } = cache({ trustworthy: () => listening });
    c.set('a', 'A', { tenantId: T1, userId: U1 }, c.version());
    listening = false;
    expect(c.get('a')).toBeUndefined();
    c.set('b', 'B', { tenantId: T1, userId: U1 }, c.version());
    listening = true;
    expect(c.get('b')).toBeUndefined();
  });

  it('keeps at most maxEntries, dropping the least recently used', () => {
    const { c } = cache({ maxEntries: 2 });
    c.set('a', 'A', { tenantId: T1, userId: U1 }, c.version());
    c.set('b', 'B', { tenantId: T1, userId: U1 }, c.version());
    expect(c.get('a')).toBe('A'); // a is now the most recent
    c.set('c', 'C', { tenantId: T1, userId: U1 }, c.version());
    expect([c.get('a'), c.get('b'), c.get('c')]).toEqual(['A', undefined, 'C']);
    expect(c.size).toBe(2);
  });

  it('is off with a TTL of 0', () => {
    const { c } = cache({ ttlMs: 0 });
    c.set('a', 'A', { tenantId: T1, userId: U1 }, c.version());
    expect(c.get('a')).toBeUndefined();
  });
});
