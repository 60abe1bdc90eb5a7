/**
 * A local HTTPS server that speaks the part of the Azure Key Vault keys REST API the Doklad
 * provider uses, as the real `@azure/keyvault-keys` SDK sends it: create, get, wrapkey, unwrapkey,
 * delete, get deleted, purge. It is a contract double, not a mock of our own code: real RSA keys
 * (node:crypto), real RSA-OAEP-256, JWKs with base64url `n`/`e`, Key Vault's error bodies
 * (`{ error: { code, message } }`) and the bearer-challenge handshake (a request without a token
 * gets 401 with `WWW-Authenticate: Bearer authorization="…/<tenant>", resource="…"`; the SDK then
 * retries with the token, which the server checks). TLS uses a throwaway self-signed certificate
 * for 127.0.0.1/localhost made with the `openssl` CLI; clients trust it through `tlsOptions.ca`.
 */
import { execFile } from 'node:child_process';
import {
  constants,
  createPrivateKey,
  generateKeyPair,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  randomUUID,
  type KeyObject,
} from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';

const execFileAsync = promisify(execFile);
const generateKeyPairAsync = promisify(generateKeyPair);

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly apiVersion: string | null;
  readonly hasToken: boolean;
  readonly status: number;
  readonly wwwAuthenticate?: string;
}

export interface KeyVaultContractServer {
  readonly vaultUrl: string;
  /** PEM of the server's self-signed certificate: pass as `tlsOptions: { ca }`. */
  readonly caPem: string;
  readonly aadTenantId: string;
  /** The only bearer token the server accepts. */
  readonly token: string;
  readonly requests: RecordedRequest[];
  /** When false, purge answers 403 like a vault with purge protection. */
  purgeAllowed: boolean;
  close(): Promise<void>;
}

interface StoredKey {
  readonly version: string;
  readonly privateKey: KeyObject;
  readonly keyOps: string[];
  readonly created: number;
  readonly tags: Record<string, string> | undefined;
}

interface DeletedKey {
  readonly latest: StoredKey;
  readonly deletedDate: number;
}

class KeyVaultError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Creates a self-signed certificate for 127.0.0.1 and localhost, valid for one day. */
export async function createSelfSignedCertificate(): Promise<{ key: string; cert: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'doklad-tls-'));
  try {
    const [keyFile, certFile] = [path.join(dir, 'key.pem'), path.join(dir, 'cert.pem')];
    await execFileAsync('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ]).catch((error: NodeJS.ErrnoException) => {
      throw new Error(`A self-signed test certificate needs the openssl CLI (${error.message})`, {
        cause: error,
      });
    });
    return { key: await readFile(keyFile, 'utf8'), cert: await readFile(certFile, 'utf8') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A credential that hands out a fixed token and records what the SDK asked it for. */
export function createStaticTokenCredential(
  token: string,
): TokenCredential & { readonly calls: { scopes: string[]; tenantId: string | undefined }[] } {
  const calls: { scopes: string[]; tenantId: string | undefined }[] = [];
  return {
    calls,
    async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
      calls.push({ scopes: [scopes].flat(), tenantId: options?.tenantId });
      return { token, expiresOnTimestamp: Date.now() + 3_600_000, tokenType: 'Bearer' };
    },
  };
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 1024 * 1024) throw new KeyVaultError(413, 'RequestTooLarge', 'Request body too large');
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
  } catch {
    throw new KeyVaultError(400, 'BadParameter', 'The request body is not valid JSON');
  }
}

function send(
  res: ServerResponse,
  status: number,
  body?: unknown,
  headers: Record<string, string> = {},
): void {
  const payload = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'x-ms-keyvault-service-version': 'contract-double',
    ...headers,
  });
  res.end(payload);
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The vault's keys and the REST operations on them (everything after authentication). */
class ContractVault {
  private readonly keys = new Map<string, StoredKey[]>();
  private readonly deleted = new Map<string, DeletedKey>();
  purgeAllowed = true;
  vaultUrl = '';

  private kid(name: string, version: string): string {
    return `${this.vaultUrl}/keys/${name}/${version}`;
  }

  private bundle(name: string, key: StoredKey): Record<string, unknown> {
    const jwk = key.privateKey.export({ format: 'jwk' });
    return {
      key: { kid: this.kid(name, key.version), kty: 'RSA', key_ops: key.keyOps, n: jwk.n, e: jwk.e },
      attributes: {
        enabled: true,
        created: key.created,
        updated: key.created,
        recoveryLevel: this.purgeAllowed ? 'Recoverable+Purgeable' : 'Recoverable',
        recoverableDays: 90,
        exportable: false,
      },
      ...(key.tags ? { tags: key.tags } : {}),
    };
  }

  private deletedBundle(name: string): Record<string, unknown> {
    const entry = this.deleted.get(name);
    if (!entry) throw new KeyVaultError(404, 'KeyNotFound', `Deleted Key not found: ${name}`);
    return {
      ...this.bundle(name, entry.latest),
      recoveryId: `${this.vaultUrl}/deletedkeys/${name}`,
      deletedDate: entry.deletedDate,
      scheduledPurgeDate: entry.deletedDate + 90 * 86_400,
    };
  }

  private findKey(name: string, version: string | undefined): StoredKey {
    const versions = this.keys.get(name);
    const key = version ? versions?.find((k) => k.version === version) : versions?.at(-1);
    if (!key) {
      const id = `${name}/${version ?? ''}`;
      throw new KeyVaultError(
        404,
        'KeyNotFound',
        `A key with (name/id) ${id} was not found in this key vault.`,
      );
    }
    return key;
  }

  async createKey(name: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (!/^[0-9a-zA-Z-]{1,127}$/.test(name)) throw new KeyVaultError(400, 'BadParameter', 'Invalid key name');
    if (this.deleted.has(name)) {
      throw new KeyVaultError(
        409,
        'Conflict',
        `Key ${name} is currently in a deleted but recoverable state.`,
      );
    }
    if (body.kty !== 'RSA' && body.kty !== 'RSA-HSM') {
      throw new KeyVaultError(400, 'BadParameter', 'This contract double creates RSA keys only');
    }
    const bits = (body.key_size as number | undefined) ?? 2048;
    if (![2048, 3072, 4096].includes(bits)) throw new KeyVaultError(400, 'BadParameter', 'Invalid key_size');
    const { privateKey } = await generateKeyPairAsync('rsa', { modulusLength: bits, publicExponent: 65537 });
    const key: StoredKey = {
      version: randomBytes(16).toString('hex'),
      privateKey: createPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' })),
      keyOps: (body.key_ops as string[] | undefined) ?? ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey'],
      created: nowSeconds(),
      tags: body.tags as Record<string, string> | undefined,
    };
    this.keys.set(name, [...(this.keys.get(name) ?? []), key]);
    return this.bundle(name, key);
  }

  getKey(name: string, version: string | undefined): Record<string, unknown> {
    return this.bundle(name, this.findKey(name, version));
  }

  /** wrapkey / unwrapkey: RSA-OAEP-256 (or legacy RSA-OAEP) with the key's own RSA key pair. */
  keyOperation(name: string, version: string, op: 'wrapkey' | 'unwrapkey', body: Record<string, unknown>) {
    const key = this.findKey(name, version || undefined);
    const operation = op === 'wrapkey' ? 'wrapKey' : 'unwrapKey';
    if (!key.keyOps.includes(operation)) {
      throw new KeyVaultError(403, 'Forbidden', `Operation ${operation} is not permitted on this key.`);
    }
    const oaepHash = { 'RSA-OAEP-256': 'sha256', 'RSA-OAEP': 'sha1' }[String(body.alg)];
    if (!oaepHash || typeof body.value !== 'string') {
      throw new KeyVaultError(400, 'BadParameter', 'Invalid algorithm or value');
    }
    const options = { key: key.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash };
    const input = Buffer.from(body.value, 'base64url');
    try {
      const value = operation === 'wrapKey' ? publicEncrypt(options, input) : privateDecrypt(options, input);
      return { kid: this.kid(name, key.version), value: value.toString('base64url') };
    } catch {
      throw new KeyVaultError(400, 'BadParameter', 'The parameter value is not valid for this operation.');
    }
  }

  /** Soft delete: every version goes; the latest is kept as the deleted key until a purge. */
  deleteKey(name: string): Record<string, unknown> {
    const latest = this.findKey(name, undefined);
    this.keys.delete(name);
    this.deleted.set(name, { latest, deletedDate: nowSeconds() });
    return this.deletedBundle(name);
  }

  getDeletedKey(name: string): Record<string, unknown> {
    return this.deletedBundle(name);
  }

  purgeDeletedKey(name: string): undefined {
    this.deletedBundle(name);
    if (!this.purgeAllowed) {
      throw new KeyVaultError(403, 'Forbidden', 'Operation "purge" is not enabled for this vault.');
    }
    this.deleted.delete(name);
    return undefined;
  }

  /** Routes an authenticated request to an operation; returns [status, body]. */
  async route(req: IncomingMessage, parts: string[]): Promise<[number, unknown]> {
    const [collection, name = '', second, third] = parts;
    const method = req.method ?? 'GET';
    if (collection === 'keys') {
      if (method === 'POST' && second === 'create' && parts.length === 3) {
        return [200, await this.createKey(name, await readJson(req))];
      }
      if (method === 'POST' && (third === 'wrapkey' || third === 'unwrapkey') && parts.length === 4) {
        return [200, this.keyOperation(name, second ?? '', third, await readJson(req))];
      }
      if (method === 'GET' && parts.length <= 3) return [200, this.getKey(name, second || undefined)];
      if (method === 'DELETE' && parts.length === 2) return [200, this.deleteKey(name)];
    }
    if (collection === 'deletedkeys' && parts.length === 2) {
      if (method === 'GET') return [200, this.getDeletedKey(name)];
      if (method === 'DELETE') return [204, this.purgeDeletedKey(name)];
    }
    throw new KeyVaultError(
      400,
      'BadParameter',
      `The contract double does not implement ${method} ${req.url}`,
    );
  }
}

interface AuthSettings {
  readonly token: string;
  readonly challenge: string;
}

/** Authenticates like Key Vault (challenge first), then dispatches and records the exchange. */
async function handleRequest(
  vault: ContractVault,
  auth: AuthSettings,
  requests: RecordedRequest[],
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', vault.vaultUrl);
  const apiVersion = url.searchParams.get('api-version');
  const hasToken = req.headers.authorization === `Bearer ${auth.token}`;
  const base = { method: req.method ?? '', path: url.pathname, apiVersion, hasToken };
  if (!hasToken) {
    req.resume();
    requests.push({ ...base, status: 401, wwwAuthenticate: auth.challenge });
    const message = 'AKV10000: Request is missing a Bearer or PoP token.';
    send(res, 401, { error: { code: 'Unauthorized', message } }, { 'www-authenticate': auth.challenge });
    return;
  }
  try {
    if (!apiVersion)
      throw new KeyVaultError(400, 'BadParameter', 'The api-version query parameter is missing.');
    const parts = url.pathname.split('/').slice(1).map(decodeURIComponent);
    const [status, body] = await vault.route(req, parts);
    requests.push({ ...base, status });
    send(res, status, body);
  } catch (error) {
    const failure =
      error instanceof KeyVaultError ? error : new KeyVaultError(500, 'InternalError', String(error));
    requests.push({ ...base, status: failure.status });
    send(res, failure.status, { error: { code: failure.code, message: failure.message } });
  }
}

/** Starts the server on 127.0.0.1 (random port) with a fresh certificate, token and AAD tenant. */
export async function startKeyVaultContractServer(): Promise<KeyVaultContractServer> {
  const tls = await createSelfSignedCertificate();
  const aadTenantId = randomUUID();
  const auth: AuthSettings = {
    token: `test-token-${randomBytes(12).toString('hex')}`,
    challenge: `Bearer authorization="https://login.microsoftonline.com/${aadTenantId}", resource="https://vault.azure.net"`,
  };
  const requests: RecordedRequest[] = [];
  // The vault URL (and so every kid) names the port, known only once the server listens.
  const started = new ContractVault();
  const server: Server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    void handleRequest(started, auth, requests, req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  started.vaultUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    vaultUrl: started.vaultUrl,
    caPem: tls.cert,
    aadTenantId,
    token: auth.token,
    requests,
    get purgeAllowed() {
      return started.purgeAllowed;
    },
    set purgeAllowed(value: boolean) {
      started.purgeAllowed = value;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
