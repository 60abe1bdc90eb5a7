/**
 * Opaque secrets handed to clients (session tokens, integration tokens, invitation and reset
 * tokens, recovery codes). They carry at least 256 bits of randomness, so a plain SHA-256 is the
 * right way to store them: it is not reversible, and a slow hash would add nothing.
 */
import { createHash, randomBytes } from 'node:crypto';

/** A random token: `prefix` + base64url of `bytes` random bytes (32 bytes = 256 bits). */
export function generateToken(prefix = '', bytes = 32): string {
  return `${prefix}${randomBytes(bytes).toString('base64url')}`;
}

/** SHA-256 hex of a token: the only form in which tokens are stored or looked up. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
