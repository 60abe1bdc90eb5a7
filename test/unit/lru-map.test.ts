import { describe, expect, it } from 'vitest';
import { LruMap } from '../../src/core/lru-map.js';

describe('LruMap', () => {
  it('forgets the least recently used entry first, counting reads as use', () => {
    const map = new LruMap<string, number>(2);
    map.set('a', 1);
    map.set('b', 2);
    expect(map.get('a')).toBe(1); // a is now newer than b
    map.set('c', 3);
    expect(map.get('b')).toBeUndefined();
    expect(map.get('a')).toBe(1);
    expect(map.get('c')).toBe(3);
    expect(map.size).toBe(2);
  });

  it('replaces a value without growing, keeps falsy values, and holds nothing at size 0', () => {
    const map = new LruMap<string, number>(2);
    map.set('a', 1);
    map.set('a', 0);
    expect(map.size).toBe(1);
    expect(map.get('a')).toBe(0);
    const none = new LruMap<string, number>(0);
    none.set('a', 1);
    expect(none.get('a')).toBeUndefined();
    expect(() => new LruMap(-1)).toThrow(RangeError);
  });
});
