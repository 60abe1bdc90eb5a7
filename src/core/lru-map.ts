/**
 * A Map that holds at most `maxEntries`, forgetting the least recently used entry first. A Map
 * iterates in insertion order, so re-inserting an entry on every read or write keeps the oldest
 * one first, where eviction finds it.
 */
export class LruMap<K, V> {
  readonly #entries = new Map<K, V>();

  constructor(readonly maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 0)
      throw new RangeError('maxEntries must be an integer ≥ 0');
  }

  get(key: K): V | undefined {
    const value = this.#entries.get(key);
    // One lookup per hit; `has` only when V itself may be undefined.
    if (value === undefined && !this.#entries.has(key)) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, value as V);
    return value;
  }

  set(key: K, value: V): void {
    this.#entries.delete(key);
    if (this.maxEntries === 0) return;
    this.#entries.set(key, value);
    while (this.#entries.size > this.maxEntries) this.#entries.delete(this.#entries.keys().next().value as K);
  }

  delete(key: K): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }

  entries(): IterableIterator<[K, V]> {
    return this.#entries.entries();
  }

  get size(): number {
    return this.#entries.size;
  }
}
