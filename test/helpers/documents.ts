/** Helpers to upload documents through the API and to inspect what storage holds. */
import { randomBytes } from 'node:crypto';
import { BlobServiceClient } from '@azure/storage-blob';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { bearer } from './auth.js';

/** A small but real-looking PDF whose bytes are unique (so each call is a new document). */
export function samplePdf(marker = randomBytes(8).toString('hex'), padBytes = 0): Buffer {
  const body = `%PDF-1.7\n% Doklad test document ${marker}\n1 0 obj << /Type /Catalog >> endobj\n`;
  return Buffer.concat([Buffer.from(body), Buffer.alloc(padBytes, 0x41), Buffer.from('\n%%EOF\n')]);
}

export function uploadRaw(
  app: FastifyInstance,
  token: string,
  bytes: Buffer,
  options: { contentType?: string; query?: Record<string, string>; headers?: Record<string, string> } = {},
): Promise<LightMyRequestResponse> {
  const query = new URLSearchParams(options.query ?? {}).toString();
  return app.inject({
    method: 'POST',
    url: `/v1/documents${query ? `?${query}` : ''}`,
    headers: {
      ...bearer(token),
      'content-type': options.contentType ?? 'application/octet-stream',
      ...options.headers,
    },
    payload: bytes,
  });
}

/** Waits until the pipeline is done with a document: any status past `extracting`. */
export async function waitUntilProcessed(
  app: FastifyInstance,
  token: string,
  id: string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const doc = (await app.inject({ url: `/v1/documents/${id}`, headers: bearer(token) })).json();
    if (!['stored', 'queued', 'extracting'].includes(doc.status)) return;
    if (Date.now() > deadline) throw new Error(`document ${id} not processed in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** A multipart/form-data body with `fields` around one `file` part (fields after the file when `fieldsAfter`). */
export function multipartBody(
  file: { bytes: Buffer; filename: string; contentType?: string },
  fields: Record<string, string> = {},
  fieldsAfter = false,
) {
  const boundary = `----doklad${randomBytes(8).toString('hex')}`;
  const fieldParts = Object.entries(fields).map(([name, value]) =>
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`),
  );
  const filePart = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.filename}"\r\n` +
        `Content-Type: ${file.contentType ?? 'application/octet-stream'}\r\n\r\n`,
    ),
    file.bytes,
    Buffer.from('\r\n'),
  ]);
  const parts = fieldsAfter ? [filePart, ...fieldParts] : [...fieldParts, filePart];
  return {
    payload: Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

export async function listBlobNames(connectionString: string, container: string): Promise<string[]> {
  const client = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(container);
  if (!(await client.exists())) return [];
  const names: string[] = [];
  for await (const blob of client.listBlobsFlat()) names.push(blob.name);
  return names;
}
