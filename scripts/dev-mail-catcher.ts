/**
 * The development mail catcher that `npm run dev` starts (and tests reuse): an SMTP server on
 * loopback that accepts every message, stores it as an .eml file, and a small inbox page to read
 * them. Dev-only on purpose: it lives in scripts/, and src/ may not import its packages
 * (smtp-server, mailparser are devDependencies; ESLint enforces it).
 *
 * The inbox shows mail written by the application from input anyone can type (names, firm
 * names), so every piece of it is HTML-escaped, the page allows no scripts (CSP), and it answers
 * only requests addressed to a loopback name: a web page elsewhere cannot read the inbox through
 * DNS rebinding, nor can another machine (both servers listen on 127.0.0.1 only).
 *
 *   GET /                      the list, newest first
 *   GET /messages/<id>         one mail (headers and text)
 *   GET /messages/<id>.eml     the raw message
 *   GET /latest?to=<address>   the text of the newest mail to that address, as text/plain (for curl)
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import path from 'node:path';
import { simpleParser, type AddressObject } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** Larger messages are refused: the application's mails are a few kilobytes. */
const MAX_MESSAGE_BYTES = 5 * 1024 * 1024;
/** The list shows (and parses) at most this many of the newest mails. */
const LIST_LIMIT = 200;
const MESSAGE_ID = /^\d{13}-[0-9a-f]{8}$/;

export interface CaughtMail {
  readonly id: string;
  readonly to: string;
  readonly subject: string;
  /** Where the inbox shows it. */
  readonly url: string;
}

export interface MailCatcher {
  /** For SMTP_URL. */
  readonly smtpUrl: string;
  readonly inboxUrl: string;
  /** Resolves with the next mail to `to` (or any address) that arrives from now on. */
  nextMail(to?: string): Promise<CaughtMail>;
  close(): Promise<void>;
}

export interface MailCatcherOptions {
  /** Where the .eml files go (created if missing). */
  readonly dir: string;
  /** Preferred ports; a free one is used when taken or absent. */
  readonly smtpPort?: number;
  readonly httpPort?: number;
  readonly onMail?: (mail: CaughtMail) => void;
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

function addresses(field: AddressObject | AddressObject[] | undefined): string {
  const list = Array.isArray(field) ? field : field ? [field] : [];
  return list.flatMap((a) => a.value.map((v) => v.address ?? '')).join(', ');
}

/** Listens on 127.0.0.1: the preferred port when free, else any free one; resolves with the port. */
async function listen(server: Server, preferred: number | undefined): Promise<number> {
  const tryPort = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  if (preferred) {
    try {
      return await tryPort(preferred);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    }
  }
  return tryPort(0);
}

export async function startMailCatcher(options: MailCatcherOptions): Promise<MailCatcher> {
  const dir = path.resolve(options.dir);
  await mkdir(dir, { recursive: true });
  const waiters: { to?: string; resolve: (mail: CaughtMail) => void }[] = [];
  let inboxUrl = '';

  async function store(raw: Buffer): Promise<CaughtMail> {
    const id = `${Date.now()}-${randomBytes(4).toString('hex')}`;
    // Written under a temporary name and renamed, so the inbox never reads half a message.
    const file = path.join(dir, `${id}.eml`);
    await writeFile(`${file}.part`, raw, { mode: 0o600 });
    await rename(`${file}.part`, file);
    const parsed = await simpleParser(raw);
    return { id, to: addresses(parsed.to), subject: parsed.subject ?? '', url: `${inboxUrl}/messages/${id}` };
  }

  const smtp = new SMTPServer({
    // No TLS and no authentication: loopback only, and it is a catcher, not a relay.
    disabledCommands: ['STARTTLS', 'AUTH'],
    size: MAX_MESSAGE_BYTES,
    banner: 'Doklad development mail catcher',
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (stream.sizeExceeded) {
          callback(Object.assign(new Error('Message too large'), { responseCode: 552 }));
          return;
        }
        store(Buffer.concat(chunks)).then(
          (mail) => {
            callback();
            options.onMail?.(mail);
            for (const waiter of waiters.splice(0)) {
              if (!waiter.to || mail.to.toLowerCase().split(', ').includes(waiter.to)) waiter.resolve(mail);
              else waiters.push(waiter);
            }
          },
          (error: Error) => callback(error),
        );
      });
    },
  });

  async function messageIds(): Promise<string[]> {
    const files = await readdir(dir);
    return files
      .filter((f) => f.endsWith('.eml') && MESSAGE_ID.test(f.slice(0, -4)))
      .map((f) => f.slice(0, -4))
      .sort()
      .reverse()
      .slice(0, LIST_LIMIT);
  }

  const readMessage = async (id: string) => {
    const raw = await readFile(path.join(dir, `${id}.eml`));
    return { raw, parsed: await simpleParser(raw) };
  };

  function page(title: string, body: string): string {
    return (
      `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
      '<style>body{font:15px system-ui,sans-serif;margin:2rem;max-width:60rem}' +
      'td,th{padding:.3rem .8rem;text-align:left;border-bottom:1px solid #ddd}' +
      'pre{white-space:pre-wrap;background:#f6f6f6;padding:1rem}</style></head>' +
      `<body>${body}</body></html>`
    );
  }

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://inbox.invalid');
    const send = (status: number, type: string, body: string | Buffer) => {
      response.writeHead(status, {
        'content-type': type,
        'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-store',
      });
      response.end(body);
    };
    if (url.pathname === '/') {
      const rows = [];
      for (const id of await messageIds()) {
        const { parsed } = await readMessage(id);
        rows.push(
          `<tr><td>${escapeHtml(parsed.date?.toISOString() ?? '')}</td>` +
            `<td>${escapeHtml(addresses(parsed.to))}</td>` +
            `<td><a href="/messages/${id}">${escapeHtml(parsed.subject || '(no subject)')}</a></td></tr>`,
        );
      }
      const table = rows.length
        ? `<table><tr><th>received</th><th>to</th><th>subject</th></tr>${rows.join('')}</table>`
        : '<p>No mail yet.</p>';
      send(200, 'text/html; charset=utf-8', page('Doklad dev inbox', `<h1>Doklad dev inbox</h1>${table}`));
      return;
    }
    if (url.pathname === '/latest') {
      const to = url.searchParams.get('to')?.toLowerCase();
      for (const id of await messageIds()) {
        const { parsed } = await readMessage(id);
        if (!to || addresses(parsed.to).toLowerCase().split(', ').includes(to)) {
          send(200, 'text/plain; charset=utf-8', `Subject: ${parsed.subject ?? ''}\n\n${parsed.text ?? ''}`);
          return;
        }
      }
      send(404, 'text/plain; charset=utf-8', 'No mail to that address yet.\n');
      return;
    }
    const match = /^\/messages\/([^/]+?)(\.eml)?$/.exec(url.pathname);
    if (match && MESSAGE_ID.test(match[1]!)) {
      const id = match[1]!;
      const message = await readMessage(id).catch(() => undefined);
      if (!message) return send(404, 'text/plain; charset=utf-8', 'No such mail.\n');
      if (match[2]) return send(200, 'text/plain; charset=utf-8', message.raw);
      const { parsed } = message;
      const headers = [
        ['From', addresses(parsed.from as AddressObject | undefined)],
        ['To', addresses(parsed.to)],
        ['Date', parsed.date?.toISOString() ?? ''],
        ['Subject', parsed.subject ?? ''],
      ]
        .map(([name, value]) => `<tr><th>${name}</th><td>${escapeHtml(value!)}</td></tr>`)
        .join('');
      // Mail HTML is shown as its source, escaped: the inbox never renders what a mail contains.
      const html = parsed.html ? `<h2>HTML part (source)</h2><pre>${escapeHtml(parsed.html)}</pre>` : '';
      send(
        200,
        'text/html; charset=utf-8',
        page(
          parsed.subject ?? 'mail',
          `<p><a href="/">← inbox</a> · <a href="/messages/${id}.eml">raw</a></p><table>${headers}</table>` +
            `<pre>${escapeHtml(parsed.text ?? '')}</pre>${html}`,
        ),
      );
      return;
    }
    send(404, 'text/plain; charset=utf-8', 'Not found.\n');
  }

  const http = createServer((request, response) => {
    // Only requests addressed to this machine by a loopback name (DNS rebinding protection).
    const host = (request.headers.host ?? '').replace(/:\d+$/, '');
    const refusal = !['127.0.0.1', 'localhost', '[::1]'].includes(host)
      ? 403
      : request.method !== 'GET'
        ? 405
        : undefined;
    if (refusal) {
      response.writeHead(refusal, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('The dev inbox answers GET requests to 127.0.0.1 or localhost only.\n');
      return;
    }
    route(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('The inbox could not read its mails.\n');
    });
  });

  // smtp-server's own listen() only forwards to its net.Server.
  const smtpPort = await listen(smtp.server as unknown as Server, options.smtpPort);
  const httpPort = await listen(http, options.httpPort);
  inboxUrl = `http://127.0.0.1:${httpPort}`;

  return {
    smtpUrl: `smtp://127.0.0.1:${smtpPort}`,
    inboxUrl,
    nextMail: (to) => new Promise((resolve) => waiters.push({ to: to?.toLowerCase(), resolve })),
    async close() {
      await Promise.all([
        new Promise<void>((resolve) => smtp.close(() => resolve())),
        new Promise<void>((resolve) => {
          http.closeAllConnections();
          http.close(() => resolve());
        }),
      ]);
    },
  };
}
