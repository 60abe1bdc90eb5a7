import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { RequestPolicy, WebResource } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createReadReleasingAgents,
  readReleasingAgentPolicy,
} from '../../src/platform/storage/read-releasing-agents.js';
import { createSelfSignedCertificate } from '../helpers/key-vault-contract-server.js';

const body = randomBytes(3 * 1024 * 1024 + 17);
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

let server: http.Server;
let port: number;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/broken') {
      // Not HTTP at all: the client's parser rejects the first read.
      req.socket.end('this is not an HTTP response\r\n\r\n');
      return;
    }
    res.setHeader('content-length', body.length);
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

interface Fetched {
  readonly body: Buffer;
  /** Every read of the socket while the response arrived, as the socket handed it out. */
  readonly reads: Buffer[];
  readonly socket: Socket;
}

/** GETs `path` through `agent`, keeping the socket's reads to look at them afterwards. */
function fetchThrough(agent: http.Agent, path = '/'): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    const reads: Buffer[] = [];
    const request = http.get({ host: '127.0.0.1', port, path, agent }, (response) => {
      const pieces: Buffer[] = [];
      response.on('data', (piece: Buffer) => pieces.push(Buffer.from(piece)));
      response.on('end', () =>
        resolve({ body: Buffer.concat(pieces), reads, socket: request.socket as Socket }),
      );
      response.on('error', reject);
    });
    request.on('socket', (socket) => {
      if (!reads.length) socket.on('data', (read: Buffer) => reads.push(read));
    });
    request.on('error', reject);
  });
}

describe('read-releasing agents', () => {
  it('frees every socket read once parsed, and the body arrives byte for byte', async () => {
    const agents = createReadReleasingAgents();
    try {
      const fetched = await fetchThrough(agents.http);
      expect(sha256(fetched.body)).toBe(sha256(body));
      expect(fetched.reads.length).toBeGreaterThan(10);
      // Each read was its own ArrayBuffer, and each is detached (freed) now.
      expect(fetched.reads.filter((read) => !(read.buffer as ArrayBuffer).detached)).toEqual([]);
    } finally {
      agents.http.destroy();
    }
  });

  it('keeps working on a kept-alive socket, where the client listens again after us', async () => {
    const agents = createReadReleasingAgents();
    try {
      const first = await fetchThrough(agents.http);
      const second = await fetchThrough(agents.http);
      expect(second.socket).toBe(first.socket);
      expect(sha256(first.body)).toBe(sha256(body));
      expect(sha256(second.body)).toBe(sha256(body));
    } finally {
      agents.http.destroy();
    }
  });

  it('leaves the read alone when the response does not parse (the error reports it)', async () => {
    const agents = createReadReleasingAgents();
    try {
      const error = await fetchThrough(agents.http, '/broken').then(
        () => undefined,
        (e: unknown) => e as Error & { code?: string; rawPacket?: Buffer },
      );
      expect(error?.code).toMatch(/^HPE_/);
      await new Promise((resolve) => setImmediate(resolve));
      expect(error?.rawPacket?.toString('latin1')).toContain('this is not an HTTP response');
    } finally {
      agents.http.destroy();
    }
  });
});

// Production reaches blob storage over HTTPS: a TLS socket's cleartext reads are freed the same way.
describe('read-releasing agents over TLS', () => {
  it('frees the cleartext reads, and the body arrives byte for byte', async () => {
    const { key, cert } = await createSelfSignedCertificate();
    const tlsServer = https.createServer({ key, cert }, (_req, res) => {
      res.setHeader('content-length', body.length);
      res.end(body);
    });
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    const agents = createReadReleasingAgents();
    try {
      const reads: Buffer[] = [];
      const received = await new Promise<Buffer>((resolve, reject) => {
        const request = https.get(
          {
            host: '127.0.0.1',
            servername: 'localhost',
            port: (tlsServer.address() as AddressInfo).port,
            ca: cert,
            agent: agents.https,
          },
          (response) => {
            const pieces: Buffer[] = [];
            response.on('data', (piece: Buffer) => pieces.push(Buffer.from(piece)));
            response.on('end', () => resolve(Buffer.concat(pieces)));
            response.on('error', reject);
          },
        );
        request.on('socket', (socket) => socket.on('data', (read: Buffer) => reads.push(read)));
        request.on('error', reject);
      });
      await new Promise((resolve) => setImmediate(resolve));
      expect(sha256(received)).toBe(sha256(body));
      expect(reads.length).toBeGreaterThan(10);
      expect(reads.filter((read) => !(read.buffer as ArrayBuffer).detached)).toEqual([]);
    } finally {
      agents.https.destroy();
      await new Promise<void>((resolve) => tlsServer.close(() => resolve()));
    }
  });
});

describe('readReleasingAgentPolicy', () => {
  /** Runs one request through the policy and returns the agent it was sent with. */
  async function agentFor(url: string, agent?: http.Agent): Promise<unknown> {
    let sent: WebResource | undefined;
    const next: RequestPolicy = {
      sendRequest: async (request) => {
        sent = request;
        return { status: 200 } as Awaited<ReturnType<RequestPolicy['sendRequest']>>;
      },
    };
    const policy = readReleasingAgentPolicy().create(next, {
      log: () => undefined,
      shouldLog: () => false,
    });
    await policy.sendRequest({ url, agent } as WebResource);
    return sent?.agent;
  }

  it('sends http and https requests through the matching agent', async () => {
    expect(await agentFor('http://127.0.0.1:10000/devstoreaccount1/c/b')).toBeInstanceOf(http.Agent);
    expect(await agentFor('http://127.0.0.1:10000/devstoreaccount1/c/b')).not.toBeInstanceOf(https.Agent);
    expect(await agentFor('https://account.blob.core.windows.net/c/b')).toBeInstanceOf(https.Agent);
  });

  it("keeps an agent an earlier step chose (a proxy's)", async () => {
    const proxyAgent = new http.Agent();
    expect(await agentFor('https://account.blob.core.windows.net/c/b', proxyAgent)).toBe(proxyAgent);
    proxyAgent.destroy();
  });
});
