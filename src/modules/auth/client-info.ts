/** What a service records about the caller of an unauthenticated request (sign-in, reset). */
export interface ClientInfo {
  readonly ip: string;
  readonly userAgent?: string | undefined;
  readonly requestId?: string | undefined;
}

/** Lower-cased, trimmed, NFC: the one form in which emails are stored and compared. */
export function normalizeEmail(email: string): string {
  return email.normalize('NFC').trim().toLowerCase();
}
