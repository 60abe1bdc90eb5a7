/**
 * Mail leaves after the answer, and a failing mail server never fails the request: by the time a
 * mail is sent, what the request did (an invitation, a reset link, a second factor) is committed,
 * and answering 500 would only make the caller repeat work that already happened. The outbox
 * hands each message to the background tasks, tries it a few times with growing pauses, and logs
 * the outcome with the subject and the server's error code only: never the text, which carries
 * tokens, nor the server's message, which may quote the recipient.
 *
 * Messages live in this process (background-tasks.ts): a crash loses the ones not yet sent. That
 * suits these mails, each of which the person can ask for again (resend verification, request a
 * new reset, an admin re-invites). They cannot go to a durable queue as they are: they carry
 * secrets, and nothing secret goes into a job payload.
 */
import type { BackgroundTasks } from './background-tasks.js';
import type { Logger } from './logger.js';
import type { Mailer } from './mailer.js';

export interface MailOutboxOptions {
  readonly backgroundTasks: BackgroundTasks;
  readonly logger: Logger;
  /** Tries per message, the first included. */
  readonly attempts: number;
  /** Pause before the second try; each further pause is four times longer. */
  readonly retryDelayMs: number;
}

/**
 * What of a transport error is safe to log: its kind, SMTP status and command verb, never its
 * text. (Not named `code`: the logger redacts properties of that name, TOTP codes' name.)
 */
function describeFailure(error: unknown): Record<string, unknown> {
  const e = (error ?? {}) as { code?: unknown; responseCode?: unknown; command?: unknown };
  return {
    errorKind: typeof e.code === 'string' ? e.code : 'unknown',
    smtpStatus: typeof e.responseCode === 'number' ? e.responseCode : undefined,
    smtpCommand: typeof e.command === 'string' ? e.command.split(' ')[0] : undefined,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function createMailOutbox(transport: Mailer, options: MailOutboxOptions): Mailer {
  const { logger } = options;
  return {
    async send(message) {
      options.backgroundTasks.run('mail', async () => {
        for (let attempt = 1; ; attempt += 1) {
          try {
            await transport.send(message);
            logger.info({ mail: { subject: message.subject, attempt } }, 'mail sent');
            return;
          } catch (error) {
            const failure = { subject: message.subject, attempt, ...describeFailure(error) };
            if (attempt >= options.attempts) {
              logger.error({ mail: failure }, 'mail not delivered; the person can ask for it again');
              return;
            }
            logger.warn({ mail: failure }, 'mail delivery failed; retrying');
            await sleep(options.retryDelayMs * 4 ** (attempt - 1));
          }
        }
      });
    },
  };
}
