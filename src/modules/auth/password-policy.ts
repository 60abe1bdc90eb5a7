/**
 * Password rules (OWASP ASVS V2.1): 12 to 128 characters after Unicode normalisation, any
 * characters, no composition rules; refused when easily guessed (zxcvbn with its common-password
 * and English dictionaries, score below 3) or when it contains the person's email, name or firm.
 */
import { passwordStrength } from './password-strength.js';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;
const MIN_SCORE = 3;

export interface PasswordContext {
  readonly email: string;
  readonly name?: string | undefined;
  readonly tenantName?: string | undefined;
}

/** NFC, so the same password typed on different systems hashes the same. */
export function normalizePassword(password: string): string {
  return password.normalize('NFC');
}

/** Personal words a password must not contain: the email, its local part, name and firm words. */
function personalWords(context: PasswordContext): string[] {
  const email = context.email.toLowerCase();
  const words = [email, email.split('@')[0] ?? ''];
  for (const text of [context.name, context.tenantName]) {
    if (text) words.push(...text.toLowerCase().split(/[\s,.\-_/]+/u));
  }
  return words.filter((w) => [...w].length >= 4);
}

/** Every reason the password is refused; empty when it is acceptable. */
export async function checkPassword(password: string, context: PasswordContext): Promise<string[]> {
  const normalized = normalizePassword(password);
  const length = [...normalized].length;
  if (length < PASSWORD_MIN_LENGTH) return [`must be at least ${PASSWORD_MIN_LENGTH} characters long`];
  if (length > PASSWORD_MAX_LENGTH) return [`must be at most ${PASSWORD_MAX_LENGTH} characters long`];
  const problems: string[] = [];
  const lower = normalized.toLowerCase();
  if (personalWords(context).some((word) => lower.includes(word))) {
    problems.push('must not contain your email address, your name or your firm name');
  }
  const { score, warning } = await passwordStrength(normalized, personalWords(context));
  if (score < MIN_SCORE) {
    const hint = warning ? ` (${warning})` : '';
    problems.push(`is too easy to guess${hint}; a few unrelated words make a strong password`);
  }
  return problems;
}
