/**
 * Document routes. Uploads stream: multipart/form-data (`file` plus optional `type`, `companyId`,
 * `externalRef` fields, before or after the file) or the raw bytes as the body (metadata in the
 * query). Content downloads stream the decrypted bytes, with ETag and single byte ranges.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import { Socket } from 'node:net';
import { finished, PassThrough, type Readable } from 'node:stream';
import type { Multipart, MultipartFile, MultipartValue } from '@fastify/multipart';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  AppError,
  ContentUnavailableError,
  PayloadTooLargeError,
  ValidationFailedError,
} from '../../core/errors.js';
import { refuseUnsafeText } from '../../core/text-input.js';
import { contextOf } from '../http.js';
import { IdParams } from '../http-schemas.js';
import { ACCEPTED_CONTENT_TYPES } from './content-sniffer.js';
import type { ByteRange } from './decrypted-content.js';
import type { DocumentLifecycleService } from './documents.lifecycle.js';
import * as s from './documents.schemas.js';
import type { DocumentsService, UploadMetadata } from './documents.service.js';
import type { DocumentUpload, UploadInput, UploadResult } from './documents.upload.js';
import { contentDisposition } from './filename.js';
import { releaseBuffer } from '../../platform/release-buffer.js';

const tags = ['documents'];

/**
 * The raw-body media types /docs offers. Any declared type reaches the sniffer (the catch-all
 * parser of the upload scope); the sniffer, not this list, decides what is stored.
 */
const DOCUMENTED_RAW_TYPES = [
  'application/octet-stream',
  'application/pdf',
  'application/xml',
  'image/png',
  'image/jpeg',
  'image/tiff',
  'application/zip',
];
const BINARY = { type: 'string', format: 'binary' };
/** What a content download answers with: the type the sniffer decided at upload. */
const STORED_TYPES = ACCEPTED_CONTENT_TYPES;
const header = (description: string, schema: Record<string, unknown> = { type: 'string' }) => ({
  description,
  schema,
});

/**
 * The upload's body for /docs: Fastify parses it with the multipart plugin or as a raw stream (the
 * content-type parsers above), never against a schema, so it is documented here instead.
 */
function uploadRequestBody(maxBytes: number) {
  // A blank multipart field means "not given", and the schema says so: the empty examples keep
  // Swagger UI's "Try it out" form blank for the optional fields, where it would otherwise prefill
  // a made-up company id and "string", which the API rightly refuses.
  const metadata = {
    type: { type: 'string', enum: s.DocumentType.options },
    companyId: {
      type: 'string',
      anyOf: [{ maxLength: 0 }, { format: 'uuid' }],
      description: 'A company of the firm; blank = none',
      examples: [''],
    },
    externalRef: {
      type: 'string',
      maxLength: 200,
      description: 'Your own reference; blank = none',
      examples: [''],
    },
  };
  return {
    required: true,
    description: `The document, at most ${maxBytes} bytes: a multipart \`file\` part with optional metadata fields, or the raw bytes (metadata then in the query).`,
    content: {
      'multipart/form-data': {
        schema: {
          type: 'object',
          required: ['file'],
          properties: { file: { ...BINARY, description: 'The document' }, ...metadata },
        },
      },
      ...Object.fromEntries(DOCUMENTED_RAW_TYPES.map((type) => [type, { schema: BINARY }])),
    },
  };
}

/** The content download's answers beyond the error statuses. */
const CONTENT_RESPONSES = {
  200: {
    description: 'The whole document, decrypted as it streams.',
    headers: {
      ETag: header('The SHA-256 of the content, quoted; send it as If-None-Match.'),
      'Accept-Ranges': header('Always `bytes`.'),
      'Content-Length': header('The size in bytes.', { type: 'integer' }),
      'Content-Disposition': header('attachment, with the original filename.'),
    },
    content: Object.fromEntries(STORED_TYPES.map((type) => [type, { schema: BINARY }])),
  },
  206: {
    description: 'The requested byte range.',
    headers: {
      'Content-Range': header('bytes start-end/total'),
      ETag: header('The SHA-256 of the whole content, quoted.'),
      'Accept-Ranges': header('Always `bytes`.'),
      'Content-Length': header('The size of the range in bytes.', { type: 'integer' }),
    },
    content: Object.fromEntries(STORED_TYPES.map((type) => [type, { schema: BINARY }])),
  },
  304: {
    description: 'If-None-Match matched: the content is unchanged.',
    headers: { ETag: header('The SHA-256 of the content, quoted.') },
  },
};

const CONTENT_PARAMETERS = [
  {
    in: 'header',
    name: 'Range',
    required: false,
    description: 'One byte range: bytes=a-b, bytes=a- or bytes=-n (others get the whole document).',
    schema: { type: 'string', examples: ['bytes=0-1023'] },
  },
  {
    in: 'header',
    name: 'If-None-Match',
    required: false,
    description: 'The ETag you have: 304 when it still matches.',
    schema: { type: 'string' },
  },
];

function parseFields(fields: Record<string, string>): UploadMetadata {
  // An empty form field is one left blank: browsers' forms and the /docs try-out send those
  // ("Send empty value"), and they mean "not given", not "an empty company id".
  const given = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== ''));
  const parsed = s.UploadFields.safeParse(given);
  if (!parsed.success) {
    const errors = parsed.error.issues.map((i) => ({
      field: `body.${i.path.join('.')}`,
      message: i.message,
    }));
    throw new ValidationFailedError(
      `The upload fields are invalid: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}`,
      errors,
    );
  }
  return parsed.data;
}

/** Parses `Range: bytes=a-b | a- | -n`; anything else (several ranges, other units) is ignored (full 200). */
function parseRange(header: string | undefined): ByteRange | undefined {
  const match = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') return { suffixLength: Number(match[2]) };
  return { start: Number(match[1]), end: match[2] === '' ? undefined : Number(match[2]) };
}

/**
 * True when the request came over a real connection: only then are the buffers it hands over
 * (body pieces in, response pieces out) this request's alone, so they can be freed. An injected
 * request (tests) shares them with its caller, who keeps them.
 */
function overConnection(request: FastifyRequest): boolean {
  return request.raw.socket instanceof Socket;
}

function sendCreatedOrExisting(reply: FastifyReply, result: UploadResult) {
  return reply
    .status(result.created ? 201 : 200)
    .header('location', `/v1/documents/${result.document.id}`)
    .send(result.document);
}

/**
 * The multipart parser's own failures (no boundary, a truncated or malformed body) are plain
 * errors without a status; they describe the caller's request, so they answer 400. Its limit
 * errors already carry a 4xx status and pass unchanged.
 */
function asMultipartError(error: unknown): unknown {
  if (error instanceof AppError) return error;
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return error;
  return new ValidationFailedError('The multipart/form-data body is malformed or incomplete.', [
    { field: 'body', message: 'is not a well-formed multipart/form-data body' },
  ]);
}

async function nextPart(parts: AsyncIterator<Multipart>): Promise<IteratorResult<Multipart>> {
  try {
    return await parts.next();
  } catch (error) {
    throw asMultipartError(error);
  }
}

/** The file part's stream, whose parser errors (a truncated body) become `asMultipartError`s. */
function fileStream(file: MultipartFile): Readable {
  const out = new PassThrough();
  // `finished` also reports a part the parser had already failed before this was called: a
  // body cut short in the file is destroyed with its error before the handler sees the part.
  finished(file.file, (error) => {
    if (error) out.destroy(asMultipartError(error) as Error);
  });
  // A reader that stops early (a refused type, a size limit) releases the part as before.
  out.once('close', () => file.file.destroy());
  return file.file.pipe(out);
}

function addField(fields: Record<string, string>, part: MultipartValue): void {
  const value = String(part.value);
  refuseUnsafeText(part.fieldname, 'body');
  refuseUnsafeText(value, `body.${part.fieldname}`);
  fields[part.fieldname] = value;
}

async function uploadMultipart(
  request: FastifyRequest,
  uploads: DocumentUpload,
  options: Pick<UploadInput, 'idempotencyKey'>,
): Promise<UploadResult> {
  const fields: Record<string, string> = {};
  const parts = request.parts()[Symbol.asyncIterator]();
  let file: MultipartFile | undefined;
  for (let next = await nextPart(parts); !next.done; next = await nextPart(parts)) {
    if (next.value.type === 'file') {
      file = next.value;
      break;
    }
    addField(fields, next.value);
  }
  if (!file || file.fieldname !== 'file') {
    throw new ValidationFailedError('The upload needs a file in the multipart field "file".', [
      { field: 'body.file', message: 'is required' },
    ]);
  }
  refuseUnsafeText(file.filename, 'body.file.filename');
  return uploads.upload(contextOf(request), {
    ...options,
    source: fileStream(file),
    filename: file.filename,
    metadata: async () => {
      // Fields may also follow the file; a second file is refused.
      for (let next = await nextPart(parts); !next.done; next = await nextPart(parts)) {
        if (next.value.type === 'file')
          throw new ValidationFailedError('Send one file per upload.', [
            { field: 'body', message: 'has more than one file' },
          ]);
        addField(fields, next.value);
      }
      return parseFields(fields);
    },
  });
}

/**
 * The raw body stream. A request without a body (no Content-Type, no length) has none, which is
 * an empty upload.
 */
function rawBody(request: FastifyRequest): Readable {
  const body = request.body as Partial<Readable> | undefined;
  if (typeof body?.[Symbol.asyncIterator] !== 'function')
    throw new ValidationFailedError('The document is empty.', [{ field: 'body', message: 'is empty' }]);
  return body as Readable;
}

/** The stream's first piece (null when it ends at once), the stream then paused; rejects on error. */
function firstPiece(stream: Readable): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const settle = (then: () => void) => {
      stream.off('data', onData).off('end', onEnd).off('error', onError);
      then();
    };
    const onData = (piece: Buffer) => settle(() => (stream.pause(), resolve(piece)));
    const onEnd = () => settle(() => resolve(null));
    const onError = (error: Error) => settle(() => reject(error));
    stream.on('data', onData).on('end', onEnd).on('error', onError);
  });
}

/**
 * Streams a download to the client's connection and frees each decrypted piece as soon as the
 * socket has taken it (see platform/release-buffer.ts). Sent with `reply.send`, every piece waits
 * for a garbage collection, and the pieces of a 100 MB download kept V8 collecting the whole heap
 * twice per download (docs/operations.md, "Streaming throughput and memory").
 *
 * The first piece is decrypted before anything is sent, so a blob that fails at once still
 * answers with an error; a failure after that can only end the connection, and the client sees a
 * response shorter than its Content-Length. The reply is hijacked only then: the onResponse hooks
 * (request log, metrics) still run.
 */
async function sendFreeingPieces(reply: FastifyReply, stream: Readable): Promise<FastifyReply> {
  const first = await firstPiece(stream);
  const res = reply.raw;
  reply.hijack();
  if (res.destroyed) {
    stream.destroy(); // the client went away while the first piece was decrypted
    return reply;
  }
  res.writeHead(reply.statusCode, reply.getHeaders() as OutgoingHttpHeaders);
  const send = (piece: Buffer): boolean => res.write(piece, () => releaseBuffer(piece));
  await new Promise<void>((resolve) => {
    const fail = (error: Error) => {
      reply.log.error({ err: error }, 'document content failed while streaming; connection closed');
      res.destroy();
    };
    res.once('close', () => {
      stream.destroy(); // everything was sent, or the client went away
      resolve();
    });
    if (stream.errored) return fail(stream.errored); // failed since its first piece
    if (!first) return void res.end();
    stream.on('data', (piece: Buffer) => {
      if (!send(piece)) stream.pause();
    });
    res.on('drain', () => stream.resume());
    stream.once('end', () => res.end());
    stream.once('error', fail);
    if (send(first)) stream.resume();
  });
  return reply;
}

export interface DocumentsRoutesDeps {
  readonly documents: DocumentsService;
  readonly uploads: DocumentUpload;
  readonly lifecycle: DocumentLifecycleService;
  readonly maxBytes: number;
}

/**
 * The upload route, in a scope of its own: every body that is not multipart/form-data reaches the
 * handler as the request stream itself, nothing buffered, whatever its Content-Type. Fastify's
 * JSON and text parsers are removed here (only here) so that `application/json` or `text/plain`
 * are not parsed into a value the upload cannot read: the content sniffer decides from the bytes,
 * and refuses what is not a document with 415 and the accepted types.
 */
function uploadRoute(deps: DocumentsRoutesDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.removeContentTypeParser(['application/json', 'text/plain']);
    app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

    app.post(
      '/v1/documents',
      {
        config: {
          permission: 'documents:write',
          docs: {
            requestBody: uploadRequestBody(deps.maxBytes),
            errors: {
              404: 'The companyId names no company of your firm, or one outside your companies (code not_found).',
              409: 'The Idempotency-Key was used for other content or its document is gone (idempotency_key_reused, idempotency_key_unavailable), or the content is stored outside your companies (duplicate_content).',
              413: `The document is larger than ${deps.maxBytes} bytes (code payload_too_large).`,
              415: 'The content is not a PDF, PNG, JPEG, TIFF, e-invoice XML (UBL, CII, ISDOC) or ISDOCX (code unsupported_media_type).',
            },
          },
        },
        schema: {
          tags,
          operationId: 'uploadDocument',
          summary:
            'Upload a document (multipart `file`, or the raw bytes as the body); 201 new, 200 already stored',
          description:
            'multipart/form-data with a `file` part and optional `type`, `companyId`, `externalRef` fields; or a raw body ' +
            '(any Content-Type, e.g. application/pdf or application/octet-stream) with those as query parameters. The type ' +
            'is decided from the content (PDF, PNG, JPEG, TIFF, XML/ISDOC, ISDOCX), never from the Content-Type; otherwise ' +
            '415 with `acceptedTypes`. Too large: 413. ' +
            'Same content again: 200 with the existing document. Honours Idempotency-Key.',
          querystring: s.RawUploadQuery,
          headers: z.object({ 'idempotency-key': z.string().min(1).max(200).optional() }).passthrough(),
          response: { 200: s.DocumentView, 201: s.DocumentView },
        },
      },
      async (request, reply) => {
        const declaredLength = Number(request.headers['content-length'] ?? 0);
        if (declaredLength > deps.maxBytes + 64 * 1024) {
          throw new PayloadTooLargeError(`The document is larger than the limit of ${deps.maxBytes} bytes.`);
        }
        const idempotencyKey = request.headers['idempotency-key'] as string | undefined;
        if (request.isMultipart()) {
          return sendCreatedOrExisting(
            reply,
            await uploadMultipart(request, deps.uploads, { idempotencyKey }),
          );
        }
        const { filename, ...metadata } = request.query;
        const uploaded = await deps.uploads.upload(contextOf(request), {
          source: rawBody(request),
          sourceChunksOwned: overConnection(request),
          expectedBytes: declaredLength > 0 ? declaredLength : undefined,
          filename,
          idempotencyKey,
          metadata: async () => metadata,
        });
        return sendCreatedOrExisting(reply, uploaded);
      },
    );
  };
}

export function documentsRoutes(deps: DocumentsRoutesDeps): FastifyPluginAsyncZod {
  return async (app) => {
    await app.register(uploadRoute(deps));

    app.get(
      '/v1/documents',
      {
        config: { permission: 'documents:read' },
        schema: {
          tags,
          operationId: 'listDocuments',
          summary: 'List documents, newest first; filter by status, type, company',
          querystring: s.ListQuery,
          response: { 200: s.DocumentList },
        },
      },
      async (request) => deps.documents.listDocuments(contextOf(request), request.query),
    );

    app.get(
      '/v1/documents/:id',
      {
        config: { permission: 'documents:read' },
        schema: {
          tags,
          operationId: 'getDocument',
          summary: 'Get one document (metadata)',
          params: IdParams,
          response: { 200: s.DocumentView },
        },
      },
      async (request) => deps.documents.getDocument(contextOf(request), request.params.id),
    );

    app.patch(
      '/v1/documents/:id',
      {
        config: { permission: 'documents:write' },
        schema: {
          tags,
          operationId: 'updateDocument',
          summary: 'Change type, company or external reference',
          params: IdParams,
          body: s.UpdateBody,
          response: { 200: s.DocumentView },
        },
      },
      async (request) => deps.documents.updateDocument(contextOf(request), request.params.id, request.body),
    );

    app.get(
      '/v1/documents/:id/content',
      {
        config: {
          permission: 'documents:read',
          docs: {
            responses: CONTENT_RESPONSES,
            parameters: CONTENT_PARAMETERS,
            errors: { 416: 'The Range starts beyond the end of the document (code range_not_satisfiable).' },
          },
        },
        schema: {
          tags,
          operationId: 'downloadDocumentContent',
          summary: 'The original bytes (decrypted as they stream); supports Range and If-None-Match',
          params: IdParams,
        },
      },
      async (request, reply) => {
        const ctx = contextOf(request);
        const etagOf = (sha256: string) => `"${sha256}"`;
        const ifNoneMatch = request.headers['if-none-match'];
        if (ifNoneMatch) {
          const meta = await deps.documents.getDocument(ctx, request.params.id);
          if (ifNoneMatch === etagOf(meta.sha256))
            return reply.status(304).header('etag', etagOf(meta.sha256)).send();
        }
        const opened = await deps.documents
          .openContent(ctx, request.params.id, parseRange(request.headers.range))
          .catch((error: unknown) => {
            // A 410 is no fault of the caller's, but a lost blob is one for operators to look into.
            if (error instanceof ContentUnavailableError)
              request.log.error(
                { documentId: request.params.id },
                'document content is missing from blob storage',
              );
            throw error;
          });
        reply
          .header('content-type', opened.document.contentType)
          .header('content-disposition', contentDisposition(opened.document.filename))
          .header('etag', etagOf(opened.document.sha256))
          .header('accept-ranges', 'bytes')
          .header('cache-control', 'private, no-store')
          .header('content-length', String(opened.contentLength));
        if (opened.range) {
          reply
            .status(206)
            .header('content-range', `bytes ${opened.range.start}-${opened.range.end}/${opened.range.total}`);
        }
        if (request.method !== 'GET' || !overConnection(request)) return reply.send(opened.stream);
        return sendFreeingPieces(reply, opened.stream);
      },
    );

    app.delete(
      '/v1/documents/:id',
      {
        config: {
          permission: 'documents:write',
          docs: { errors: { 409: 'The document is under a legal hold (code legal_hold).' } },
        },
        schema: {
          tags,
          operationId: 'trashDocument',
          summary:
            'Move to the trash (restorable until purgeAfter); before retainUntil needs documents:delete-early and a reason',
          params: IdParams,
          body: s.TrashBody,
          response: { 200: s.DocumentView },
        },
      },
      async (request) =>
        deps.lifecycle.trashDocument(contextOf(request), request.params.id, request.body?.reason),
    );

    app.post(
      '/v1/documents/:id/restore',
      {
        config: { permission: 'documents:write' },
        schema: {
          tags,
          operationId: 'restoreDocument',
          summary: 'Take a document back out of the trash',
          params: IdParams,
          response: { 200: s.DocumentView },
        },
      },
      async (request) => deps.lifecycle.restoreDocument(contextOf(request), request.params.id),
    );

    app.put(
      '/v1/documents/:id/legal-hold',
      {
        config: { permission: 'documents:delete-early' },
        schema: {
          tags,
          operationId: 'setLegalHold',
          summary: 'Block deletion until released',
          params: IdParams,
          body: s.LegalHoldBody,
          response: { 200: s.DocumentView },
        },
      },
      async (request) =>
        deps.lifecycle.setLegalHold(contextOf(request), request.params.id, request.body.reason),
    );

    app.delete(
      '/v1/documents/:id/legal-hold',
      {
        config: { permission: 'documents:delete-early' },
        schema: {
          tags,
          operationId: 'releaseLegalHold',
          summary: 'Release the legal hold',
          params: IdParams,
          response: { 200: s.DocumentView },
        },
      },
      async (request) => deps.lifecycle.releaseLegalHold(contextOf(request), request.params.id),
    );
  };
}
