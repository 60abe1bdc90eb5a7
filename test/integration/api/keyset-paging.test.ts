/**
 * Every cursor-paged list of the API, walked page by page the way a client does: the documented
 * order, each row exactly once, also where rows share a timestamp (the id breaks the tie) and a
 * page ends in the middle of such a group; a cursor that is not one we issued is a 400
 * problem+json, never a 500; and a cursor carries a position only, so one taken in another firm
 * shows nothing of that firm.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { startWorkers } from '../../../src/workers/start-workers.js';
import { SAMPLE } from '../../unit/extraction/fixtures/invoice-model.js';
import { ublXml } from '../../unit/extraction/fixtures/xml-fixtures.js';
import { bearer, signup, type SignedUp } from '../../helpers/auth.js';
import { uploadRaw, waitUntilProcessed } from '../../helpers/documents.js';
import { useTestEnv } from '../../helpers/test-env.js';

const env = useTestEnv();
let firmA: SignedUp;
let firmB: SignedUp;
/** Each firm's uploaded (and extracted) documents. */
const documents = new Map<string, string[]>();

/** Seven rows in firm A (three pages of two and one more), three in firm B. */
const ROWS = { a: 7, b: 3 };
const PAGE = 2;
/**
 * The seeded timestamps: rows come in groups of three sharing one time, so the first page ends
 * inside a group and the second page has to continue that group by id.
 */
const timeOf = (i: number) => new Date(Date.UTC(2026, 2, 1, 10, 0, Math.floor(i / 3)));

interface Position {
  readonly key: string;
  readonly at: Date;
  readonly id: string;
}

interface PagedList {
  readonly name: string;
  /** The list's URL as the firm calls it (a document's access log names the firm's document). */
  readonly url: string | ((firm: SignedUp) => string);
  readonly order: 'asc' | 'desc';
  /** What identifies an item in the response (a checkpoint view has no id: seq and head hash). */
  readonly keyOf: (item: Record<string, unknown>) => string;
  /** Gives the firm's rows equal timestamps where the test needs them. */
  readonly seed: (firm: SignedUp, rows: number) => Promise<void>;
  /** Every row of the firm the list shows, from the database: the truth the pages must match. */
  readonly rows: (firm: SignedUp) => Promise<Position[]>;
}

async function uploadExtracted(firm: SignedUp, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const bytes = Buffer.from(ublXml({ ...SAMPLE, number: `PAGE-${firm.tenantId.slice(0, 8)}-${i}` }));
    const res = await uploadRaw(env.app, firm.token, bytes, { contentType: 'application/xml' });
    expect(res.statusCode, res.body).toBe(201);
    ids.push(res.json().id);
  }
  for (const id of ids) await waitUntilProcessed(env.app, firm.token, id);
  return ids;
}

beforeAll(async () => {
  firmA = await signup(env.app);
  firmB = await signup(env.app);
  const workers = await startWorkers(env.container);
  try {
    documents.set(firmA.tenantId, await uploadExtracted(firmA, ROWS.a));
    documents.set(firmB.tenantId, await uploadExtracted(firmB, ROWS.b));
  } finally {
    // Nothing may add rows (a scheduled checkpoint, say) while the lists are walked.
    await workers.close();
  }
}, 120_000);

/** Sets the given documents' columns, row i getting timeOf(i) in `column`. */
async function setDocuments(firm: SignedUp, column: 'created_at' | 'updated_at', status: string) {
  const ids = documents.get(firm.tenantId)!;
  for (const [i, id] of ids.entries())
    await env.adminQuery(`UPDATE documents SET status = $2, ${column} = $3 WHERE id = $1`, [
      id,
      status,
      timeOf(i),
    ]);
}

/** Rows selected as `id` and `at` (and, for checkpoints, a `key`), as positions in their list. */
async function positions(sql: string, params: unknown[]): Promise<Position[]> {
  const { rows } = await env.adminQuery<{ id: string; at: Date; key?: string }>(sql, params);
  return rows.map((r) => ({ key: r.key ?? r.id, at: r.at, id: r.id }));
}

/** The firm's active documents matching `condition`, positioned by `column`. */
const documentRows = (column: 'created_at' | 'updated_at', condition: string) => (firm: SignedUp) =>
  positions(
    `SELECT id::text AS id, ${column} AS at FROM documents
      WHERE tenant_id = $1 AND trashed_at IS NULL AND purged_at IS NULL AND ${condition}`,
    [firm.tenantId],
  );

const firstDocument = (firm: SignedUp) => documents.get(firm.tenantId)![0]!;

const seeded = new Set<string>();
/** A seed that inserts rows runs once per firm (several tests, and both event lists, share it). */
function once(kind: string, seed: PagedList['seed']): PagedList['seed'] {
  return async (firm, rows) => {
    if (seeded.has(`${kind}:${firm.tenantId}`)) return;
    seeded.add(`${kind}:${firm.tenantId}`);
    await seed(firm, rows);
  };
}

/** Events recorded straight into the table (INSERT is what the append-only table allows). */
const seedEvents = once('events', async (firm, rows) => {
  for (let i = 0; i < rows; i++)
    await env.adminQuery(
      `INSERT INTO audit_events (tenant_id, occurred_at, actor_kind, actor_id, action, payload)
       VALUES ($1, $2, 'system', 'paging-test', 'paging.seeded', '{}')`,
      [firm.tenantId, timeOf(i)],
    );
});

const LISTS: PagedList[] = [
  {
    name: 'GET /v1/documents (newest first by created_at, id)',
    url: '/v1/documents',
    order: 'desc',
    keyOf: (item) => String(item.id),
    seed: (firm) => setDocuments(firm, 'created_at', 'extracted'),
    rows: documentRows('created_at', 'true'),
  },
  {
    name: 'GET /v1/review-queue (oldest first by created_at, id)',
    url: '/v1/review-queue',
    order: 'asc',
    keyOf: (item) => String(item.documentId),
    seed: (firm) => setDocuments(firm, 'created_at', 'needs_review'),
    rows: documentRows('created_at', `status = 'needs_review'`),
  },
  {
    name: 'GET /v1/extractions, the ERP export list (update order by updated_at, id)',
    url: '/v1/extractions',
    order: 'asc',
    keyOf: (item) => String(item.documentId),
    seed: (firm) => setDocuments(firm, 'updated_at', 'validated'),
    rows: documentRows('updated_at', `status IN ('validated', 'exported') AND duplicate_of IS NULL`),
  },
  {
    name: 'GET /v1/suppliers (oldest first by created_at, id)',
    url: '/v1/suppliers',
    order: 'asc',
    keyOf: (item) => String(item.id),
    seed: once('suppliers', async (firm, rows) => {
      for (let i = 0; i < rows; i++)
        await env.adminQuery(
          `INSERT INTO supplier_profiles (tenant_id, name, name_key, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $4)`,
          [firm.tenantId, `Supplier ${i}`, `supplier ${i}`, timeOf(i)],
        );
    }),
    rows: (firm) =>
      positions('SELECT id::text AS id, created_at AS at FROM supplier_profiles WHERE tenant_id = $1', [
        firm.tenantId,
      ]),
  },
  {
    name: 'GET /v1/audit-events (newest first by occurred_at, id)',
    url: '/v1/audit-events?action=paging.',
    order: 'desc',
    keyOf: (item) => String(item.id),
    seed: seedEvents,
    rows: eventRows,
  },
  {
    name: 'GET /v1/audit-events?order=asc (oldest first by occurred_at, id)',
    url: '/v1/audit-events?action=paging.&order=asc',
    order: 'asc',
    keyOf: (item) => String(item.id),
    seed: seedEvents,
    rows: eventRows,
  },
  {
    name: 'GET /v1/documents/:id/access-log (oldest first by occurred_at, id)',
    url: (firm) => `/v1/documents/${firstDocument(firm)}/access-log`,
    order: 'asc',
    keyOf: (item) => String(item.id),
    seed: once('access-log', async (firm, rows) => {
      for (let i = 0; i < rows; i++)
        await env.adminQuery(
          `INSERT INTO audit_events (tenant_id, occurred_at, actor_kind, actor_id, action, target_type, target_id, payload)
           VALUES ($1, $2, 'system', 'paging-test', 'paging.accessed', 'document', $3, '{}')`,
          [firm.tenantId, timeOf(i), firstDocument(firm)],
        );
    }),
    // The upload, the worker's read and extraction are in the log too, at their real times.
    rows: (firm) =>
      positions(
        `SELECT id::text AS id, occurred_at AS at FROM audit_events
          WHERE tenant_id = $1 AND target_type = 'document' AND target_id = $2`,
        [firm.tenantId, firstDocument(firm)],
      ),
  },
  {
    name: 'GET /v1/audit/checkpoints (newest first by signed_at, id)',
    url: '/v1/audit/checkpoints',
    order: 'desc',
    keyOf: (item) => `${String(item.seq)}/${String(item.headHash)}`,
    seed: once('checkpoints', async (firm, rows) => {
      // Seq far beyond the firm's real chain (and distinct per firm: with the head hash it is what
      // tells checkpoints apart here): listing checks no signature, so these stand in.
      for (let i = 0; i < rows; i++)
        await env.adminQuery(
          `INSERT INTO audit_checkpoints (tenant_id, seq, head_hash, key_id, signature, signed_at)
           VALUES ($1, $2, repeat('a', 64), 'paging-test', 'c2ln', $3)`,
          [firm.tenantId, (firm === firmA ? 100_000 : 200_000) + i, timeOf(i)],
        );
    }),
    rows: (firm) =>
      positions(
        `SELECT id::text AS id, signed_at AS at, seq::text || '/' || head_hash AS key
           FROM audit_checkpoints WHERE tenant_id = $1`,
        [firm.tenantId],
      ),
  },
];

function eventRows(firm: SignedUp): Promise<Position[]> {
  return positions(
    `SELECT id::text AS id, occurred_at AS at FROM audit_events WHERE tenant_id = $1 AND action LIKE 'paging.%'`,
    [firm.tenantId],
  );
}

/** The documented order: by time, ties broken by id, both in the list's direction. */
function inOrder(rows: Position[], order: 'asc' | 'desc'): string[] {
  const sign = order === 'asc' ? 1 : -1;
  return [...rows]
    .sort((x, y) => sign * (x.at.getTime() - y.at.getTime() || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0)))
    .map((r) => r.key);
}

function urlOf(list: PagedList, firm: SignedUp, query: Record<string, string>): string {
  const url = typeof list.url === 'string' ? list.url : list.url(firm);
  return `${url}${url.includes('?') ? '&' : '?'}${new URLSearchParams(query)}`;
}

async function getPage(firm: SignedUp, url: string) {
  const res = await env.app.inject({ url, headers: bearer(firm.token) });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { items: Record<string, unknown>[]; nextCursor: string | null };
}

/** Walks the whole list, `PAGE` items at a time. */
async function walk(firm: SignedUp, list: PagedList): Promise<{ keys: string[]; pages: number }> {
  const keys: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await getPage(
      firm,
      urlOf(list, firm, { limit: String(PAGE), ...(cursor ? { cursor } : {}) }),
    );
    expect(page.items.length).toBeLessThanOrEqual(PAGE);
    keys.push(...page.items.map(list.keyOf));
    cursor = page.nextCursor;
    pages += 1;
    expect(pages, 'the walk must end').toBeLessThan(50);
  } while (cursor);
  return { keys, pages };
}

function cursorOf(at: string | number | boolean | null, id: unknown): string {
  return Buffer.from(JSON.stringify([at, id])).toString('base64url');
}

describe.each(LISTS)('$name', (list) => {
  it('pages through every row once, in the documented order, across rows with equal timestamps', async () => {
    await list.seed(firmA, ROWS.a);
    const expected = inOrder(await list.rows(firmA), list.order);
    expect(expected.length).toBeGreaterThanOrEqual(ROWS.a);

    const { keys, pages } = await walk(firmA, list);

    expect(pages).toBeGreaterThanOrEqual(3);
    expect(new Set(keys).size, 'no item twice').toBe(keys.length);
    expect(keys).toEqual(expected);
  });

  it('answers 400 problem+json, never 500, for a malformed or tampered cursor', async () => {
    await list.seed(firmA, ROWS.a);
    const first = await getPage(firmA, urlOf(list, firmA, { limit: String(PAGE) }));
    const valid = first.nextCursor!;
    expect(valid).toEqual(expect.any(String));
    const [at] = JSON.parse(Buffer.from(valid, 'base64url').toString('utf8')) as [string, string];
    const tampered = [
      'not-a-cursor',
      valid.slice(0, Math.floor(valid.length / 2)), // cut short: no longer JSON
      Buffer.from(`${Buffer.from(valid, 'base64url').toString('utf8')}garbage`).toString('base64url'),
      cursorOf(at, 'not-a-uuid'),
      cursorOf(at, 42),
      cursorOf(12345, randomUUID()), // a number, not the ISO time we issue
      cursorOf(true, randomUUID()),
      cursorOf(null, randomUUID()),
      cursorOf('yesterday', randomUUID()),
      cursorOf('+275000-01-01T00:00:00.000Z', randomUUID()), // beyond PostgreSQL's range
      Buffer.from(JSON.stringify({ at, id: randomUUID() })).toString('base64url'),
      Buffer.from('null').toString('base64url'),
      Buffer.from(`["${at}"]`).toString('base64url'),
      'x'.repeat(201),
      '\u0000',
    ];
    for (const cursor of tampered) {
      const res = await env.app.inject({
        url: urlOf(list, firmA, { cursor }),
        headers: bearer(firmA.token),
      });
      expect(res.statusCode, `${cursor}: ${res.body}`).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ status: 400, code: 'validation_failed' });
    }
  });

  it("shows nothing of firm A to firm B using A's cursor, nor to A using one at B's rows", async () => {
    await list.seed(firmA, ROWS.a);
    await list.seed(firmB, ROWS.b);
    const aKeys = new Set((await list.rows(firmA)).map((r) => r.key));
    const bRows = await list.rows(firmB);
    const bKeys = new Set(bRows.map((r) => r.key));
    expect(bKeys.size).toBeGreaterThanOrEqual(ROWS.b);

    const aCursor = (await getPage(firmA, urlOf(list, firmA, { limit: String(PAGE) }))).nextCursor!;
    const seenByB = await getPage(firmB, urlOf(list, firmB, { limit: '200', cursor: aCursor }));
    for (const key of seenByB.items.map(list.keyOf)) {
      expect(aKeys.has(key), `firm B was shown firm A's ${key}`).toBe(false);
      expect(bKeys.has(key)).toBe(true);
    }

    // A cursor naming the exact position of B's first row pages A's own rows only.
    const bFirst = bRows.find((r) => r.key === inOrder(bRows, list.order)[0])!;
    const atB = cursorOf(bFirst.at.toISOString(), bFirst.id);
    const seenByA = await getPage(firmA, urlOf(list, firmA, { limit: '200', cursor: atB }));
    for (const key of seenByA.items.map(list.keyOf)) {
      expect(bKeys.has(key), `firm A was shown firm B's ${key}`).toBe(false);
      expect(aKeys.has(key)).toBe(true);
    }
  });
});
