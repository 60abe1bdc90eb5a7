/**
 * The blob store's HTTP agents: Node's keep-alive agents, except that each socket read is freed
 * the moment Node's HTTP client has parsed it, instead of at some later garbage collection.
 *
 * Why: Node's HTTP client reads a socket into a fresh Buffer per read and copies each body piece
 * out of it (node:_http_client `socketOnData` -> `parser.execute`), so the read is garbage as soon
 * as the parser returns. It lives outside the JavaScript heap, and a download allocates little
 * else, so V8 collects it only once tens of MB of such reads have piled up: a 100 MB download
 * left 50-110 MB of them behind, and the C allocator kept its heap at that size after they were
 * freed. Freed at once, the reads reuse the same memory and a download's RSS growth is flat
 * (docs/operations.md, "Streaming throughput and memory"). The body pieces themselves are freed
 * by their consumer (the decrypting stream, `inputOwned`).
 *
 * When: in a microtask queued by a 'data' listener of our own. The HTTP client adds its listener
 * after ours, but every listener of one 'data' event runs before the microtask does, and the
 * parser is done with the read when its listener returns. A read is left alone when the socket
 * was destroyed meanwhile (a parse error keeps the read for its report), and when it is a view of
 * a larger buffer (release-buffer.ts). Blob requests never upgrade the connection or CONNECT, the
 * two cases in which Node's HTTP client keeps part of a read (`bodyHead`); a request through a
 * proxy brings the proxy's own agent, which this one does not replace.
 */
import type { Duplex } from 'node:stream';
import http from 'node:http';
import https from 'node:https';
import type { RequestPolicyFactory } from '@azure/storage-blob';
import { releaseBuffer } from '../release-buffer.js';

function releaseReadsOf(socket: Duplex | null | undefined): void {
  socket?.on('data', (read: Buffer) => {
    queueMicrotask(() => {
      if (!socket.destroyed) releaseBuffer(read);
    });
  });
}

class ReadReleasingHttpAgent extends http.Agent {
  override createConnection(...args: Parameters<http.Agent['createConnection']>) {
    const socket = super.createConnection(...args);
    releaseReadsOf(socket);
    return socket;
  }
}

class ReadReleasingHttpsAgent extends https.Agent {
  override createConnection(...args: Parameters<https.Agent['createConnection']>) {
    const socket = super.createConnection(...args);
    releaseReadsOf(socket);
    return socket;
  }
}

/** One pair per blob store: keep-alive, as the SDK's own default agents are. */
export function createReadReleasingAgents(): { http: http.Agent; https: https.Agent } {
  return {
    http: new ReadReleasingHttpAgent({ keepAlive: true }),
    https: new ReadReleasingHttpsAgent({ keepAlive: true }),
  };
}

/**
 * A pipeline step (the storage SDK's public `RequestPolicyFactory`) that sends every request of
 * the pipeline through these agents, unless a step before it chose an agent (a proxy's).
 */
export function readReleasingAgentPolicy(): RequestPolicyFactory {
  const agents = createReadReleasingAgents();
  return {
    create: (next) => ({
      sendRequest(request) {
        request.agent ??= request.url.startsWith('https:') ? agents.https : agents.http;
        return next.sendRequest(request);
      },
    }),
  };
}
