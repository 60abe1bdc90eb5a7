/**
 * RFC 6238 TOTP (SHA-1, 6 digits, 30 s — what authenticator apps support). A code is accepted for
 * the current time step and one step either side (clock drift); the matched step is returned so the
 * caller can refuse any step at or before the last one used (no code is accepted twice).
 */
import { Secret, TOTP } from 'otpauth';

const PERIOD_SECONDS = 30;
const DIGITS = 6;
const DRIFT_STEPS = 1;

function totpFor(secretBase32: string, label = 'Doklad', issuer = 'Doklad'): TOTP {
  return new TOTP({
    issuer,
    label,
    algorithm: 'SHA1',
    digits: DIGITS,
    period: PERIOD_SECONDS,
    secret: Secret.fromBase32(secretBase32),
  });
}

/** A new random 160-bit secret, base32 as authenticator apps expect. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

export function totpUri(secretBase32: string, account: string): string {
  return totpFor(secretBase32, account).toString();
}

/** The time step a valid code belongs to, or null when the code is wrong for every allowed step. */
export function matchTotpStep(secretBase32: string, code: string, now: Date): bigint | null {
  if (!/^\d{6}$/.test(code)) return null;
  const totp = totpFor(secretBase32);
  const delta = totp.validate({ token: code, timestamp: now.getTime(), window: DRIFT_STEPS });
  if (delta === null) return null;
  return BigInt(totp.counter({ timestamp: now.getTime() }) + delta);
}

/** The code for a time (tests and tooling; the server never sends codes anywhere). */
export function totpCodeAt(secretBase32: string, at: Date): string {
  return totpFor(secretBase32).generate({ timestamp: at.getTime() });
}
