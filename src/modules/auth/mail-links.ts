/**
 * The links in Doklad's mails. They point at PUBLIC_BASE_URL, the address of the firm's web app,
 * which opens `/accept-invitation`, `/verify-email` and `/reset-password` and calls the API.
 * Tokens ride in the fragment (`#token=…`): browsers never send it to a server, so a token stays
 * out of access logs, proxies and Referer headers. Every mail also names the API call that does
 * the same, for integrators and for development, where no web app runs.
 */
export interface MailLinks {
  acceptInvitation(token: string): string;
  verifyEmail(token: string): string;
  resetPassword(token: string): string;
  /** Where a person starts a password reset (security notices point here). */
  forgotPassword(): string;
}

export function createMailLinks(publicBaseUrl: string): MailLinks {
  const base = publicBaseUrl.replace(/\/+$/, '');
  return {
    acceptInvitation: (token) => `${base}/accept-invitation#token=${token}`,
    verifyEmail: (token) => `${base}/verify-email#token=${token}`,
    resetPassword: (token) => `${base}/reset-password#token=${token}`,
    forgotPassword: () => `${base}/reset-password`,
  };
}
