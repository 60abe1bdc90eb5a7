/**
 * The `/metrics` listener of the API and the worker: a bare node:http server on its own address
 * (loopback by default), never on the public API port, so the load balancer never routes to it.
 * With `token` set every scrape must present `Authorization: Bearer <token>` (required by the
 * configuration when the listener is not on loopback, e.g. in a container network).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Logger } from './logger.js';
import { renderMetrics } from './metrics.js';

export interface MetricsServerOptions {
  readonly host: string;
  /** 0: any free port (tests); the chosen one is in `address`. */
  readonly port: number;
  readonly token?: string;
}

export interface MetricsServer {
  /** `http://host:port` */
  readonly address: string;
  close(): Promise<void>;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Compares digests, so neither the token's length nor its content leaks through timing. */
function isAuthorized(header: string | undefined, token: string | undefined): boolean {
  if (token === undefined) return true;
  const presented = /^Bearer (.+)$/.exec(header ?? '')?.[1];
  return presented !== undefined && timingSafeEqual(digest(presented), digest(token));
}

export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (request.method !== 'GET' || path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    if (!isAuthorized(request.headers.authorization, options.token)) {
      response
        .writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' })
        .end('a bearer token is required\n');
      return;
    }
    renderMetrics().then(
      ({ contentType, body }) =>
        response.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' }).end(body),
      () => response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
    );
  });
  // A slow or stuck scraper cannot hold sockets open for long.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    address: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Starts the listener or stops the process with one clear line naming the setting: a process
 * that cannot be watched should not run unnoticed (two processes on one host need two ports).
 */
export async function startMetricsServerOrExit(
  logger: Logger,
  options: MetricsServerOptions & { readonly portSetting: string },
): Promise<MetricsServer> {
  try {
    return await startMetricsServer(options);
  } catch (error) {
    logger.fatal(
      { err: error },
      `the metrics listener could not start on ${options.host}:${options.port}; set ${options.portSetting} ` +
        '(0: any free port) or METRICS_ENABLED=false',
    );
    process.exit(1);
  }
}
