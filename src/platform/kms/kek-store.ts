/**
 * Where the local key provider keeps its KEKs, each wrapped under the master key. Destroying a
 * KEK replaces it with a tombstone: the key bytes are gone, but the store can still say "this key
 * existed and was destroyed" rather than "unknown key". Key references become file names, so they
 * are checked against a strict pattern first: no path traversal, no hidden files.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, mkdir, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { KeyNotFoundError } from './key-provider.js';

export type StoredKek =
  | { readonly state: 'active'; readonly wrapped: Buffer }
  | { readonly state: 'destroyed' }
  | { readonly state: 'missing' };

export interface KekStore {
  get(keyRef: string): Promise<StoredKek>;
  /** Stores a new wrapped KEK; refuses to overwrite any existing entry, tombstones included. */
  put(keyRef: string, wrapped: Buffer): Promise<void>;
  /** Replaces the wrapped KEK by a tombstone, for good. Idempotent. */
  delete(keyRef: string): Promise<void>;
}

const KEY_REF_PATTERN = /^[a-z0-9-]{1,80}$/;

/** Throws `KeyNotFoundError` for a reference no store could hold (and that must not reach a path). */
export function assertKeyRef(keyRef: string): void {
  if (typeof keyRef !== 'string' || !KEY_REF_PATTERN.test(keyRef)) {
    throw new KeyNotFoundError('Not a valid local key reference');
  }
}

/** A store that lives and dies with the process (tests, throwaway development runs). */
export function createMemoryKekStore(): KekStore {
  const entries = new Map<string, Buffer | null>();
  return {
    async get(keyRef) {
      assertKeyRef(keyRef);
      const entry = entries.get(keyRef);
      if (entry === undefined) return { state: 'missing' };
      return entry === null ? { state: 'destroyed' } : { state: 'active', wrapped: Buffer.from(entry) };
    },
    async put(keyRef, wrapped) {
      assertKeyRef(keyRef);
      if (entries.has(keyRef)) throw new Error(`Key ${keyRef} already exists`);
      entries.set(keyRef, Buffer.from(wrapped));
    },
    async delete(keyRef) {
      assertKeyRef(keyRef);
      entries.get(keyRef)?.fill(0);
      entries.set(keyRef, null);
    },
  };
}

/** Writes `data` to a fresh, fsynced temporary file (mode 0600) next to its final name. */
async function writeTemporary(directory: string, keyRef: string, data: Buffer): Promise<string> {
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const temporary = path.join(directory, `.${keyRef}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return temporary;
}

/**
 * One file per key, `<keyRef>.kek`, mode 0600, in a 0700 directory. Writes go to a temporary
 * file first, so a crash never leaves a half-written key: `put` links it into place (which fails
 * if the name exists, so nothing is overwritten) and `delete` renames a zero-length tombstone
 * over the key.
 */
export function createFileKekStore(directory: string): KekStore {
  const fileFor = (keyRef: string) => {
    assertKeyRef(keyRef);
    return path.join(directory, `${keyRef}.kek`);
  };
  return {
    // Read on every use, so that a key destroyed by another process (the worker erasing a
    // tenant) is gone for this one at once. Synchronously: the file is 60 bytes, and reading it so
    // takes about 7 µs of CPU where `fs/promises` readFile's four thread-pool round trips (open,
    // fstat, read, close) take 200-300 µs, on every upload and download.
    async get(keyRef) {
      try {
        const wrapped = readFileSync(fileFor(keyRef));
        return wrapped.length === 0 ? { state: 'destroyed' } : { state: 'active', wrapped };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'missing' };
        throw error;
      }
    },
    async put(keyRef, wrapped) {
      const target = fileFor(keyRef);
      const temporary = await writeTemporary(directory, keyRef, wrapped);
      try {
        await link(temporary, target);
      } finally {
        await unlink(temporary);
      }
    },
    async delete(keyRef) {
      const target = fileFor(keyRef);
      await rename(await writeTemporary(directory, keyRef, Buffer.alloc(0)), target);
    },
  };
}
