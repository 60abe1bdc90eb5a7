/**
 * The Ed25519 key that signs audit checkpoints. It comes from AUDIT_SIGNING_KEY (PKCS#8 PEM) or a
 * key file; for development the file is created on first use when AUDIT_SIGNING_KEY_CREATE is on.
 * Verification trusts only this key (identified by a fingerprint of its public key), never a key
 * stored next to the data, so whoever can write the database still cannot forge a checkpoint.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readOrCreateKeyFile } from './key-file.js';

/** Checks signatures of one public key: what an offline verifier holds. */
export interface SignatureVerifier {
  /** `ed25519:` + the first 32 hex digits of the SHA-256 of the public key (SPKI DER). */
  readonly keyId: string;
  /** The public key as SPKI PEM, for publishing (GET /v1/audit/public-keys). */
  readonly publicKeyPem: string;
  /** False for a bad signature and for any key id other than this key's. */
  verify(message: string, signature: string, keyId: string): boolean;
}

export interface Signer extends SignatureVerifier {
  /** Base64 Ed25519 signature of the UTF-8 message. */
  sign(message: string): string;
}

export interface SigningKeySource {
  readonly pem?: string | undefined;
  readonly file: string;
  readonly createIfMissing: boolean;
}

/** The key id of an Ed25519 public key, as signers and offline verifiers compute it. */
export function signingKeyIdOf(publicKey: KeyObject): string {
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  return `ed25519:${createHash('sha256').update(spki).digest('hex').slice(0, 32)}`;
}

/** A verifier for an Ed25519 public key (SPKI PEM, or the key object); nothing secret needed. */
export function verifierFromPublicKey(key: KeyObject | string): SignatureVerifier {
  const publicKey = typeof key === 'string' ? createPublicKey(key) : key;
  if (publicKey.asymmetricKeyType !== 'ed25519')
    throw new Error('The audit public key must be an Ed25519 key');
  const keyId = signingKeyIdOf(publicKey);
  return {
    keyId,
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    verify: (message, signature, candidateKeyId) =>
      candidateKeyId === keyId &&
      verify(null, Buffer.from(message, 'utf8'), publicKey, Buffer.from(signature, 'base64')),
  };
}

export function signerFromPrivateKey(privateKey: KeyObject): Signer {
  if (privateKey.asymmetricKeyType !== 'ed25519')
    throw new Error('The audit signing key must be an Ed25519 key');
  return {
    ...verifierFromPublicKey(createPublicKey(privateKey)),
    sign: (message) => sign(null, Buffer.from(message, 'utf8'), privateKey).toString('base64'),
  };
}

export async function loadSigner(source: SigningKeySource): Promise<Signer> {
  const pem =
    source.pem ??
    (await readOrCreateKeyFile(source.file, {
      create: source.createIfMissing,
      generate: () =>
        generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      settingHint: 'Set AUDIT_SIGNING_KEY, or AUDIT_SIGNING_KEY_CREATE=true for development.',
    }));
  return signerFromPrivateKey(createPrivateKey(pem));
}
