/**
 * The data `bench:api` measures against, made through the public API only: a firm (sign-up, the
 * owner's session), a client company, ~60 small e-invoices (the smallest UBL / CII files of the
 * shared corpus, topped up with generated ones), their extraction by the real worker, the
 * validation of every extracted one, and an integration token for an ERP agent.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SAMPLE } from '../test/unit/extraction/fixtures/invoice-model.js';
import { ciiXml, ublXml } from '../test/unit/extraction/fixtures/xml-fixtures.js';
import { BenchError, call, expectStatus, signUp, type Log } from './support.js';

const SETTLE_TIMEOUT_MS = 180_000;
const UPLOAD_CONCURRENCY = 4;
const UNFINISHED = new Set(['received', 'stored', 'queued', 'extracting']);
export const TOKEN_SCOPES = ['documents:read', 'extractions:read'] as const;

export interface Seeded {
  readonly session: string;
  readonly token: string;
  readonly tenantId: string;
  readonly companyId: string;
  readonly documentIds: readonly string[];
  readonly statuses: Readonly<Record<string, number>>;
  readonly validated: number;
  readonly overridden: number;
  /** Where the documents came from, for the report. */
  readonly source: string;
}

interface SeedFile {
  readonly filename: string;
  readonly bytes: Buffer;
}

/** The smallest distinct UBL / CII files of the corpus (a dev set manifest), smallest first. */
function corpusFiles(corpusDir: string, count: number): SeedFile[] {
  const manifestPath = path.join(corpusDir, 'manifest.json');
  if (!existsSync(manifestPath)) return [];
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    documents: Array<{ id: string; file: string; kind: string }>;
  };
  const seen = new Set<string>();
  const files: SeedFile[] = [];
  for (const doc of manifest.documents.filter((d) => d.kind === 'ubl' || d.kind === 'cii')) {
    const bytes = readFileSync(path.join(corpusDir, doc.file));
    const sha = createHash('sha256').update(bytes).digest('hex');
    if (seen.has(sha)) continue;
    seen.add(sha);
    files.push({ filename: path.basename(doc.file), bytes });
  }
  return files.sort((a, b) => a.bytes.length - b.bytes.length).slice(0, count);
}

/** Small generated invoices, each with its own number so none is a duplicate of another. */
function generatedFiles(count: number, runId: string): SeedFile[] {
  return Array.from({ length: count }, (_, i) => {
    const invoice = { ...SAMPLE, number: `S-${runId}-${String(i).padStart(4, '0')}` };
    const xml = i % 2 === 0 ? ublXml(invoice) : ciiXml(invoice);
    return { filename: `generated-${i}.xml`, bytes: Buffer.from(xml, 'utf8') };
  });
}

const json = (body: unknown) => Buffer.from(JSON.stringify(body));
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function uploadAll(
  baseUrl: string,
  session: string,
  companyId: string,
  files: readonly SeedFile[],
  log: Log,
): Promise<string[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: UPLOAD_CONCURRENCY });
  const ids: string[] = [];
  let next = 0;
  const lane = async () => {
    for (let file = files[next++]; file; file = files[next++]) {
      const query = new URLSearchParams({ filename: file.filename, companyId });
      const result = await call(new URL(`/v1/documents?${query}`, baseUrl), {
        method: 'POST',
        headers: { ...bearer(session), 'content-type': 'application/xml' },
        body: file.bytes,
        agent,
      });
      if (result.status === 201) ids.push((result.json as { id: string }).id);
      else log(`seed upload of ${file.filename} answered ${result.status}; left out`);
    }
  };
  try {
    await Promise.all(Array.from({ length: UPLOAD_CONCURRENCY }, lane));
  } finally {
    agent.destroy();
  }
  return ids;
}

interface ListedDocument {
  readonly id: string;
  readonly status: string;
}

async function listAll(baseUrl: string, session: string): Promise<ListedDocument[]> {
  const result = await call(new URL('/v1/documents?limit=200', baseUrl), {
    method: 'GET',
    headers: bearer(session),
  });
  expectStatus(result, 200, 'list documents');
  return (result.json as { items: ListedDocument[] }).items;
}

/** Polls the list (every 500 ms, at most SETTLE_TIMEOUT_MS) until the worker is done with all. */
async function waitForExtraction(baseUrl: string, session: string, log: Log): Promise<ListedDocument[]> {
  const started = Date.now();
  let lastLog = 0;
  for (;;) {
    const items = await listAll(baseUrl, session);
    const unfinished = items.filter((d) => UNFINISHED.has(d.status)).length;
    if (unfinished === 0) return items;
    if (Date.now() - started > SETTLE_TIMEOUT_MS)
      throw new BenchError(
        `seeding: ${unfinished} documents still unprocessed after ${SETTLE_TIMEOUT_MS / 1000} s`,
      );
    if (Date.now() - lastLog > 5_000) {
      lastLog = Date.now();
      log(`seeding: waiting for the worker, ${unfinished} of ${items.length} documents unprocessed`);
    }
    await sleep(500);
  }
}

/** Validates every extracted document; error findings are overridden with a stated reason. */
async function validateAll(
  baseUrl: string,
  session: string,
  items: readonly ListedDocument[],
): Promise<{ validated: number; overridden: number }> {
  let validated = 0;
  let overridden = 0;
  const headers = { ...bearer(session), 'content-type': 'application/json' };
  for (const item of items.filter((d) => d.status === 'extracted' || d.status === 'needs_review')) {
    const url = new URL(`/v1/documents/${item.id}/extraction/validate`, baseUrl);
    // A conflict names what it needs: an override of error findings, or (the corpus holds some
    // invoices as both PDF and XML) the acknowledgement that the document is a duplicate.
    const body: Record<string, unknown> = {};
    let result = await call(url, { method: 'POST', headers, body: json(body) });
    for (let retry = 0; result.status === 409 && retry < 2; retry++) {
      if ((result.json as { code?: string }).code === 'duplicate_invoice') {
        body.allowDuplicate = true;
        body.duplicateReason = 'benchmark seed: the corpus holds this invoice in two files';
      } else body.override = { reason: 'benchmark seed: accepted as extracted' };
      result = await call(url, { method: 'POST', headers, body: json(body) });
    }
    if (result.status === 200 && body.override) overridden++;
    expectStatus(result, 200, `validate ${item.id}`);
    validated++;
  }
  return { validated, overridden };
}

export async function seed(options: {
  readonly baseUrl: string;
  readonly documents: number;
  readonly corpusDir: string;
  readonly runId: string;
  readonly log: Log;
}): Promise<Seeded> {
  const { baseUrl, log } = options;
  const { token: session, tenantId } = await signUp(baseUrl);
  const company = await call(new URL('/v1/companies', baseUrl), {
    method: 'POST',
    headers: { ...bearer(session), 'content-type': 'application/json' },
    body: json({ name: 'Benchmark Client s.r.o.', vatId: 'CZ25596641', country: 'CZ' }),
  });
  expectStatus(company, 201, 'create company');
  const companyId = (company.json as { id: string }).id;

  const fromCorpus = corpusFiles(options.corpusDir, options.documents);
  const files = [...fromCorpus, ...generatedFiles(options.documents - fromCorpus.length, options.runId)];
  const source =
    `${fromCorpus.length} smallest UBL/CII files of ${options.corpusDir}` +
    (files.length > fromCorpus.length ? ` + ${files.length - fromCorpus.length} generated` : '');
  log(`seeding: uploading ${files.length} documents (${source})`);
  const documentIds = await uploadAll(baseUrl, session, companyId, files, log);
  if (documentIds.length < 50)
    throw new BenchError(`seeding: only ${documentIds.length} uploads succeeded; the list rows need 50`);

  const items = await waitForExtraction(baseUrl, session, log);
  const { validated, overridden } = await validateAll(baseUrl, session, items);
  const statuses: Record<string, number> = {};
  for (const item of await listAll(baseUrl, session))
    statuses[item.status] = (statuses[item.status] ?? 0) + 1;

  const created = await call(new URL('/v1/tokens', baseUrl), {
    method: 'POST',
    headers: { ...bearer(session), 'content-type': 'application/json' },
    body: json({ name: 'bench ERP agent', scopes: TOKEN_SCOPES }),
  });
  expectStatus(created, 201, 'create integration token');
  const token = (created.json as { token: string }).token;
  return { session, token, tenantId, companyId, documentIds, statuses, validated, overridden, source };
}
