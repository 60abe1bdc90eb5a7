/**
 * The signed erasure receipt an offboarded firm receives: what was destroyed (blobs, the
 * key-encryption key, the rows of every table), when, and the head of the audit chain that stays.
 * It is signed with the audit checkpoint key (Ed25519), so the same published public key verifies
 * both; the signed text starts with its own domain tag, so a receipt signature can never be
 * passed off as a checkpoint signature or the other way round.
 *
 * Verification needs nothing but the file and the public key: no database, no network
 * (`doklad tenant verify-receipt --file receipt.json --public-key key.pem`).
 */
import { createPublicKey, verify } from 'node:crypto';
import { canonicalJson } from '../../core/canonical-json.js';
import { signingKeyIdOf, type Signer } from '../../platform/crypto/signing-key.js';

export const RECEIPT_TYPE = 'doklad.erasure_receipt';
const DOMAIN_TAG = 'doklad-erasure-receipt-v1\n';

export interface ErasureReceiptBody {
  readonly type: typeof RECEIPT_TYPE;
  readonly version: 1;
  readonly tenantId: string;
  readonly region: string;
  readonly offboardingRequestedAt: string;
  readonly purgedAt: string;
  readonly issuedAt: string;
  readonly destroyed: DestroyedFacts;
  /** What stays, and why: the audit chain must remain verifiable. */
  readonly kept: string[];
  readonly auditChain: {
    readonly headSeq: string | null;
    readonly headHash: string | null;
    readonly checkpointSeq: string | null;
    readonly checkpointSignedAt: string | null;
  };
}

export interface DestroyedFacts {
  readonly blobs: { readonly container: string; readonly deleted: number; readonly remaining: number };
  readonly keyEncryptionKey: { readonly keyRef: string | null; readonly destroyedAt: string };
  /** Rows deleted per table. */
  readonly rows: Readonly<Record<string, number>>;
}

/** The file handed to the owner. */
export interface SignedErasureReceipt {
  readonly receipt: ErasureReceiptBody;
  readonly keyId: string;
  /** Base64 Ed25519 over DOMAIN_TAG + canonical JSON of `receipt`. */
  readonly signature: string;
}

const signedText = (receipt: unknown) => `${DOMAIN_TAG}${canonicalJson(receipt)}`;

export function signErasureReceipt(signer: Signer, receipt: ErasureReceiptBody): SignedErasureReceipt {
  return { receipt, keyId: signer.keyId, signature: signer.sign(signedText(receipt)) };
}

export type ReceiptVerification =
  | { readonly ok: true; readonly receipt: ErasureReceiptBody }
  | { readonly ok: false; readonly reason: string };

/** Checks a receipt file's shape, key id and signature against an Ed25519 public key (PEM). */
export function verifyErasureReceipt(file: unknown, publicKeyPem: string): ReceiptVerification {
  let publicKey;
  try {
    publicKey = createPublicKey(publicKeyPem);
  } catch {
    return { ok: false, reason: 'the public key is not a PEM public key' };
  }
  if (publicKey.asymmetricKeyType !== 'ed25519')
    return { ok: false, reason: 'the public key is not Ed25519' };
  const candidate = file as Partial<SignedErasureReceipt> | null;
  if (
    !candidate ||
    typeof candidate !== 'object' ||
    typeof candidate.signature !== 'string' ||
    typeof candidate.keyId !== 'string' ||
    !candidate.receipt ||
    typeof candidate.receipt !== 'object' ||
    candidate.receipt.type !== RECEIPT_TYPE
  ) {
    return { ok: false, reason: 'the file is not a Doklad erasure receipt' };
  }
  if (candidate.keyId !== signingKeyIdOf(publicKey)) {
    return { ok: false, reason: `the receipt is signed by key ${candidate.keyId}, not by this public key` };
  }
  let text: string;
  try {
    text = signedText(candidate.receipt);
  } catch {
    return { ok: false, reason: 'the receipt holds values JSON cannot represent exactly' };
  }
  const valid = verify(
    null,
    Buffer.from(text, 'utf8'),
    publicKey,
    Buffer.from(candidate.signature, 'base64'),
  );
  return valid
    ? { ok: true, receipt: candidate.receipt }
    : {
        ok: false,
        reason: 'the signature does not match the receipt (it was altered or signed by another key)',
      };
}
