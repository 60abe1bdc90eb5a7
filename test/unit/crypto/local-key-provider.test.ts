import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createFileKekStore,
  createMemoryKekStore,
  type KekStore,
} from '../../../src/platform/kms/kek-store.js';
import {
  KeyDestroyedError,
  KeyNotFoundError,
  KeyUnwrapError,
} from '../../../src/platform/kms/key-provider.js';
import {
  createLocalKeyProvider,
  LOCAL_WRAP_ALGORITHM,
  parseMasterKey,
} from '../../../src/platform/kms/local-key-provider.js';

const directories: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'doklad-kek-'));
  directories.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(directories.map((dir) => rm(dir, { recursive: true, force: true })));
});

const stores: [string, () => Promise<KekStore>][] = [
  ['memory', async () => createMemoryKekStore()],
  ['file', async () => createFileKekStore(path.join(await tempDir(), 'keys'))],
];

describe.each(stores)('local key provider (%s store)', (_, makeStore) => {
  async function setup() {
    const provider = createLocalKeyProvider({ masterKey: randomBytes(32), store: await makeStore() });
    const { keyRef } = await provider.createTenantKey(randomUUID());
    return { provider, keyRef };
  }

  it('wraps and unwraps a DEK under the tenant key, naming key and algorithm', async () => {
    const { provider, keyRef } = await setup();
    const dek = randomBytes(32);
    const wrapped = await provider.wrapKey(keyRef, dek);
    expect(wrapped.keyRef).toBe(keyRef);
    expect(wrapped.algorithm).toBe(LOCAL_WRAP_ALGORITHM);
    expect(wrapped.wrapped.length).toBe(12 + 32 + 16);
    expect(wrapped.wrapped.includes(dek)).toBe(false);
    expect((await provider.unwrapKey(keyRef, wrapped.wrapped)).equals(dek)).toBe(true);
  });

  it("does not unwrap a DEK under another tenant's key", async () => {
    const { provider, keyRef } = await setup();
    const other = await provider.createTenantKey(randomUUID());
    const { wrapped } = await provider.wrapKey(keyRef, randomBytes(32));
    await expect(provider.unwrapKey(other.keyRef, wrapped)).rejects.toBeInstanceOf(KeyUnwrapError);
    await expect(provider.unwrapKey('kek-unknown', wrapped)).rejects.toBeInstanceOf(KeyNotFoundError);
  });

  it('rejects a tampered wrapped DEK', async () => {
    const { provider, keyRef } = await setup();
    const { wrapped } = await provider.wrapKey(keyRef, randomBytes(32));
    for (const position of [0, 11, 12, 40, wrapped.length - 1]) {
      const damaged = Buffer.from(wrapped);
      damaged[position] = (damaged[position] as number) ^ 0x01;
      await expect(provider.unwrapKey(keyRef, damaged)).rejects.toBeInstanceOf(KeyUnwrapError);
    }
    await expect(provider.unwrapKey(keyRef, wrapped.subarray(0, 20))).rejects.toBeInstanceOf(KeyUnwrapError);
  });

  it('cannot unwrap anything once the tenant key is destroyed (crypto-shredding), and says so', async () => {
    const { provider, keyRef } = await setup();
    const { wrapped } = await provider.wrapKey(keyRef, randomBytes(32));
    await provider.destroyTenantKey(keyRef);
    await provider.destroyTenantKey(keyRef); // idempotent
    await expect(provider.unwrapKey(keyRef, wrapped)).rejects.toBeInstanceOf(KeyDestroyedError);
    await expect(provider.wrapKey(keyRef, randomBytes(32))).rejects.toBeInstanceOf(KeyDestroyedError);
  });

  it('refuses values that are not data keys', async () => {
    const { provider, keyRef } = await setup();
    await expect(provider.wrapKey(keyRef, randomBytes(8))).rejects.toBeInstanceOf(TypeError);
    await expect(provider.wrapKey(keyRef, randomBytes(65))).rejects.toBeInstanceOf(TypeError);
  });
});

describe('file KEK store', () => {
  it('keeps each key in its own 0600 file, wrapped (never the raw KEK), and survives a restart', async () => {
    const dir = path.join(await tempDir(), 'keys');
    const masterKey = randomBytes(32);
    const provider = createLocalKeyProvider({ masterKey, store: createFileKekStore(dir) });
    const { keyRef } = await provider.createTenantKey(randomUUID());
    const { wrapped } = await provider.wrapKey(keyRef, randomBytes(32));
    expect(await readdir(dir)).toEqual([`${keyRef}.kek`]); // no temporary files left behind
    expect((await stat(path.join(dir, `${keyRef}.kek`))).mode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await readFile(path.join(dir, `${keyRef}.kek`))).length).toBe(12 + 32 + 16);

    const restarted = createLocalKeyProvider({ masterKey, store: createFileKekStore(dir) });
    expect((await restarted.unwrapKey(keyRef, wrapped)).length).toBe(32);
    const wrongMaster = createLocalKeyProvider({
      masterKey: randomBytes(32),
      store: createFileKekStore(dir),
    });
    await expect(wrongMaster.unwrapKey(keyRef, wrapped)).rejects.toThrow(/master key/);
  });

  it('binds a stored KEK to its reference: a key file copied under another name does not open', async () => {
    const dir = path.join(await tempDir(), 'keys');
    const masterKey = randomBytes(32);
    const provider = createLocalKeyProvider({ masterKey, store: createFileKekStore(dir) });
    const { keyRef } = await provider.createTenantKey(randomUUID());
    await writeFile(path.join(dir, 'kek-copied.kek'), await readFile(path.join(dir, `${keyRef}.kek`)));
    await expect(provider.wrapKey('kek-copied', randomBytes(32))).rejects.toThrow(/master key/);
  });

  it('rejects key references that could escape the directory or hide files', async () => {
    const dir = await tempDir();
    const store = createFileKekStore(path.join(dir, 'keys'));
    const provider = createLocalKeyProvider({ masterKey: randomBytes(32), store });
    await writeFile(path.join(dir, 'outside.kek'), randomBytes(60));
    for (const keyRef of [
      '../outside',
      '..',
      '.hidden',
      'a/b',
      'A',
      'a'.repeat(81),
      '',
      'x\u0000y',
      'kek-é',
    ]) {
      await expect(store.get(keyRef)).rejects.toBeInstanceOf(KeyNotFoundError);
      await expect(store.put(keyRef, randomBytes(60))).rejects.toBeInstanceOf(KeyNotFoundError);
      await expect(store.delete(keyRef)).rejects.toBeInstanceOf(KeyNotFoundError);
      await expect(provider.unwrapKey(keyRef, randomBytes(60))).rejects.toBeInstanceOf(KeyNotFoundError);
    }
    expect((await readFile(path.join(dir, 'outside.kek'))).length).toBe(60);
  });

  it('never overwrites an existing key or resurrects a destroyed one', async () => {
    const store = createFileKekStore(path.join(await tempDir(), 'keys'));
    await store.put('kek-a', randomBytes(60));
    await expect(store.put('kek-a', randomBytes(60))).rejects.toThrow();
    await store.delete('kek-a');
    expect(await store.get('kek-a')).toEqual({ state: 'destroyed' });
    await expect(store.put('kek-a', randomBytes(60))).rejects.toThrow();
    expect(await store.get('kek-b')).toEqual({ state: 'missing' });
  });
});

describe('master key parsing', () => {
  it('accepts exactly 32 base64 bytes and nothing else', () => {
    const key = randomBytes(32);
    expect(parseMasterKey(key.toString('base64')).equals(key)).toBe(true);
    expect(() => parseMasterKey(randomBytes(16).toString('base64'))).toThrow(TypeError);
    expect(() => parseMasterKey('not base64 at all!')).toThrow(TypeError);
  });
});
