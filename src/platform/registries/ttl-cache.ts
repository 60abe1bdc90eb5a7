import { LruMap } from '../../core/lru-map.js';

/**
 * A small in-memory cache with a lifetime per entry and a bound on the entry count (least recently
 * used entry out first): registry answers change rarely and the registers ask clients not to
 * repeat queries.
 */
export interface TtlCache<V> {
  get(key: string): V | undefined;
  set(key: string, value: V, ttlMs: number): void;
  readonly size: number;
}

export function createTtlCache<V>(maxEntries: number, clock: () => number = Date.now): TtlCache<V> {
  const entries = new LruMap<string, { value: V; expires: number }>(maxEntries);
  return {
    get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (entry.expires <= clock()) {
        entries.delete(key);
        return undefined;
      }
      return entry.value;
    },
    set(key, value, ttlMs) {
      if (ttlMs <= 0) return;
      entries.set(key, { value, expires: clock() + ttlMs });
    },
    get size() {
      return entries.size;
    },
  };
}
