/**
 * Outgoing mail. The development transport prints each message to stderr (it is the developer's
 * inbox, not the application log, which never contains the secrets these messages carry); the
 * memory transport keeps messages for tests. A production SMTP/API transport plugs in here.
 */
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
