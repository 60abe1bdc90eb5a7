/**
 * Learning beyond one firm, with consent, through the real pipeline (API, worker, PostgreSQL with
 * RLS, Redis, Azurite): a label people's corrections taught is shared with every firm's
 * extractions only once three firms whose training consent is given taught it, stops being shared
 * when one of them withdraws, and no firm without consent contributes.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemContext } from '../../../src/core/request-context.js';
import { packageRoot } from '../../../src/platform/package-root.js';
import { createSharedLabels } from '../../../src/modules/suppliers/suppliers.shared-labels.js';
import { startWorkers, type RunningWorkers } from '../../../src/workers/start-workers.js';
import { germanLayout, textInvoicePdfBytes } from '../../unit/extraction/fixtures/pdf-fixtures.js';
import { SAMPLE } from '../../unit/extraction/fixtures/invoice-model.js';
import { bearer, signup, type SignedUp } from '../../helpers/auth.js';
import { uploadRaw, waitUntilProcessed } from '../../helpers/documents.js';
import { childProcessEnv, useTestEnv } from '../../helpers/test-env.js';

const execFileAsync = promisify(execFile);

const env = useTestEnv();
let workers: RunningWorkers;

beforeAll(async () => {
  workers = await startWorkers(env.container);
});
afterAll(async () => workers?.close());

/** A layout whose document number stands beside "Vorgang", a label the general rules do not know. */
async function pdfWithVorgang(number: string): Promise<Buffer> {
  const layout = germanLayout(SAMPLE);
  layout.title = 'Rechnung';
  layout.header = [
    ['Vorgang', number],
    ['Rechnungsdatum:', '14.03.2024'],
  ];
  return Buffer.from(await textInvoicePdfBytes(layout));
}

interface Field {
  value: string;
  source: string;
  confidence: number;
}

async function extract(who: SignedUp, bytes: Buffer) {
  const up = await uploadRaw(env.app, who.token, bytes, { contentType: 'application/pdf' });
  expect(up.statusCode, up.body).toBe(201);
  const id = up.json().id as string;
  await waitUntilProcessed(env.app, who.token, id);
  const res = await env.app.inject({ url: `/v1/documents/${id}/extraction`, headers: bearer(who.token) });
  expect(res.statusCode, res.body).toBe(200);
  const { fields, findings } = res.json().result as {
    fields: Record<string, Field>;
    findings: { code: string; field?: string }[];
  };
  return { id, fields, findings };
}

/** A firm's person corrects the number the rules missed: the firm's profile learns "vorgang". */
async function teach(who: SignedUp, number: string): Promise<void> {
  const first = await extract(who, await pdfWithVorgang(number));
  expect(first.fields.invoiceNumber?.value).not.toBe(number);
  const res = await env.app.inject({
    method: 'PATCH',
    url: `/v1/documents/${first.id}/extraction`,
    headers: bearer(who.token),
    payload: { fields: { invoiceNumber: number } },
  });
  expect(res.statusCode, res.body).toBe(200);
}

async function consent(who: SignedUp, allowed: boolean): Promise<void> {
  const res = await env.app.inject({
    method: 'PUT',
    url: '/v1/tenant/training-consent',
    headers: bearer(who.token),
    payload: { allowed },
  });
  expect(res.statusCode, res.body).toBe(200);
}

async function published() {
  const { rows } = await env.adminQuery(
    'SELECT field, label, firms FROM shared_label_variants ORDER BY label',
  );
  return rows;
}

async function sharedEvents(tenantId: string) {
  const { rows } = await env.adminQuery(
    `SELECT actor_id, payload FROM audit_events WHERE tenant_id = $1 AND action = 'supplier_labels.shared'`,
    [tenantId],
  );
  return rows;
}

describe('label variants shared across firms with their consent', () => {
  let consenting: SignedUp[];
  let refusing: SignedUp;
  let reader: SignedUp;

  beforeAll(async () => {
    consenting = [await signup(env.app), await signup(env.app), await signup(env.app)];
    refusing = await signup(env.app);
    reader = await signup(env.app);
    for (const firm of consenting) await consent(firm, true);
  });

  it('publishes nothing while fewer than three consenting firms taught a label', async () => {
    await teach(consenting[0]!, 'KW-2024/0117');
    await teach(consenting[1]!, 'KW-2024/0118');
    // A firm without consent teaches the same label: it stays within that firm.
    await teach(refusing, 'KW-2024/0119');
    expect(await env.container.sharedLabels.gather()).toEqual({
      consentingFirms: 3,
      published: 0,
      changed: false,
      labels: [],
    });
    expect(await published()).toEqual([]);
    const theirs = await extract(reader, await pdfWithVorgang('KW-2024/0500'));
    expect(theirs.fields.invoiceNumber?.value).not.toBe('KW-2024/0500');
  });

  it("reads another firm's document by a label three consenting firms taught, as a suggestion", async () => {
    await teach(consenting[2]!, 'KW-2024/0120');
    expect(await env.container.sharedLabels.gather()).toEqual({
      consentingFirms: 3,
      published: 1,
      changed: true,
      labels: [{ field: 'invoiceNumber', label: 'vorgang', firms: 3 }],
    });
    // Only the label's words and how many firms taught it: no firm, value or place.
    expect(await published()).toEqual([{ field: 'invoiceNumber', label: 'vorgang', firms: 3 }]);

    const theirs = await extract(reader, await pdfWithVorgang('KW-2024/0501'));
    expect(theirs.fields.invoiceNumber).toMatchObject({ value: 'KW-2024/0501', source: 'learned' });
    // Below the review threshold: a person confirms what another firm's label suggested.
    expect(theirs.fields.invoiceNumber!.confidence).toBeLessThan(0.9);
    expect(theirs.findings).toContainEqual(
      expect.objectContaining({ code: 'read_by_shared_label', field: 'invoiceNumber' }),
    );
    // The reading firm has no profile of its own: the label came from the shared table.
    const own = await env.app.inject({ url: '/v1/suppliers', headers: bearer(reader.token) });
    expect(own.json().items).toEqual([]);
  });

  it('tells each contributing firm in its audit log, and no other firm', async () => {
    for (const firm of consenting) {
      const events = await sharedEvents(firm.tenantId);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        actor_id: 'worker:shared-labels',
        payload: { labels: [{ field: 'invoiceNumber', label: 'vorgang' }], minFirms: 3 },
      });
    }
    expect(await sharedEvents(refusing.tenantId)).toEqual([]);
    expect(await sharedEvents(reader.tenantId)).toEqual([]);
    // A gathering that publishes the same labels again audits nothing new.
    expect((await env.container.sharedLabels.gather()).changed).toBe(false);
    expect(await sharedEvents(consenting[0]!.tenantId)).toHaveLength(1);
  });

  it('stops sharing at the next gathering once a contributing firm withdraws its consent', async () => {
    await consent(consenting[2]!, false);
    expect(await env.container.sharedLabels.gather()).toMatchObject({ consentingFirms: 2, published: 0 });
    expect(await published()).toEqual([]);
    const theirs = await extract(reader, await pdfWithVorgang('KW-2024/0502'));
    expect(theirs.fields.invoiceNumber?.value).not.toBe('KW-2024/0502');
    expect(theirs.findings.map((f) => f.code)).not.toContain('read_by_shared_label');
  });

  it('the command line runs the same gathering, and concurrent gatherings agree', async () => {
    await consent(consenting[2]!, true);
    const { stdout } = await execFileAsync(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', 'maintenance', 'share-labels'],
      { cwd: packageRoot(), env: childProcessEnv(env.config) },
    );
    expect(JSON.parse(stdout)).toEqual({
      consentingFirms: 3,
      published: 1,
      changed: true,
      labels: [{ field: 'invoiceNumber', label: 'vorgang', firms: 3 }],
    });
    expect(await published()).toEqual([{ field: 'invoiceNumber', label: 'vorgang', firms: 3 }]);
    // Two at once: one waits for the other, neither fails, the table holds one publication.
    const both = await Promise.all([
      env.container.sharedLabels.gather(),
      env.container.sharedLabels.gather(),
    ]);
    expect(both.map((r) => r.published)).toEqual([1, 1]);
    expect(await published()).toHaveLength(1);
    await consent(consenting[2]!, false);
    await env.container.sharedLabels.gather();
  });

  it('never publishes a label the operator blocked (SHARED_LABELS_BLOCKED)', async () => {
    // A gathering as the container builds it, with the operator's block list.
    const withBlocked = (blocked: string[]) =>
      createSharedLabels({
        db: env.container.db,
        tenants: env.container.tenants,
        audit: env.container.audit,
        clock: env.container.clock,
        blocked,
      });
    await consent(consenting[2]!, true);
    const blocking = withBlocked(['invoiceNumber:vorgang']);
    expect(await blocking.gather()).toMatchObject({ consentingFirms: 3, published: 0, labels: [] });
    expect(await published()).toEqual([]);
    // Written as the page prints it, the block still names the published key "vorgang".
    const asPrinted = withBlocked(['invoiceNumber:Vorgang:']);
    expect(await asPrinted.gather()).toMatchObject({ consentingFirms: 3, published: 0, labels: [] });
    await consent(consenting[2]!, false);
    // A misspelt field would block nothing: it is refused where the container is built (start-up).
    expect(() => withBlocked(['invoicenumber:vorgang'])).toThrow(
      /SHARED_LABELS_BLOCKED: "invoicenumber:vorgang" names no field/,
    );
  });

  it("no firm's request can write the shared labels, only a gathering can", async () => {
    const ctx = systemContext(reader.tenantId, { kind: 'user', id: reader.userId });
    await expect(
      env.container.db.withTenant(ctx, (tx) =>
        tx.sharedLabelVariant.create({ data: { field: 'invoiceNumber', label: 'planted', firms: 99 } }),
      ),
    ).rejects.toThrow(/row-level security/);
    await expect(
      env.container.db.withTenant(ctx, (tx) => tx.sharedLabelVariant.deleteMany({})),
    ).resolves.toEqual({ count: 0 });
    expect(await published()).toEqual([]);
  });
});
