/**
 * Outgoing mail. SMTP (nodemailer, configured by SMTP_URL) is the real transport; `npm run dev`
 * points it at a local mail catcher. The console transport prints each message to stderr (a
 * developer's inbox of last resort, not the application log, which never contains the secrets
 * these messages carry); the memory transport keeps messages for tests. A network transport can
 * fail or be slow, so the SMTP one is always wrapped in the outbox (mail-outbox.ts).
 */
import nodemailer from 'nodemailer';

export interface MailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

export function createConsoleMailer(
  from: string,
  write: (text: string) => void = (t) => process.stderr.write(t),
): Mailer {
  return {
    async send(message) {
      write(
        `\n----- mail (development transport) -----\nFrom: ${from}\nTo: ${message.to}\n` +
          `Subject: ${message.subject}\n\n${message.text}\n----------------------------------------\n`,
      );
    },
  };
}

export interface MemoryMailer extends Mailer {
  readonly sent: MailMessage[];
}

export function createMemoryMailer(): MemoryMailer {
  const sent: MailMessage[] = [];
  return {
    sent,
    async send(message) {
      sent.push(message);
    },
  };
}

/** How long the SMTP transport waits for a connection, the greeting and any reply. */
const SMTP_CONNECTION_TIMEOUT_MS = 5_000;
const SMTP_SOCKET_TIMEOUT_MS = 15_000;

/**
 * Sends over SMTP: `smtp://[user:password@]host[:port]` (STARTTLS when the server offers it) or
 * `smtps://…` (TLS from the first byte). Rejects when the server does not take the message.
 */
export function createSmtpMailer(url: string, from: string): Mailer & { close(): void } {
  const transport = nodemailer.createTransport({
    url,
    connectionTimeout: SMTP_CONNECTION_TIMEOUT_MS,
    greetingTimeout: SMTP_CONNECTION_TIMEOUT_MS,
    socketTimeout: SMTP_SOCKET_TIMEOUT_MS,
  } as Parameters<typeof nodemailer.createTransport>[0]);
  return {
    async send(message) {
      await transport.sendMail({ from, to: message.to, subject: message.subject, text: message.text });
    },
    close: () => transport.close(),
  };
}
