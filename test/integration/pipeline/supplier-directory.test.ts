/**
 * The firm's supplier directory through the real pipeline: a validated invoice makes its seller a
 * known supplier; the next invoice of that supplier asking for another IBAN is an error finding
 * and goes to review; the same account stays clean; another tenant's suppliers are not seen.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkers, type RunningWorkers } from '../../../src/workers/start-workers.js';
import { SAMPLE, type FixtureInvoice } from '../../unit/extraction/fixtures/invoice-model.js';
import { ublXml } from '../../unit/extraction/fixtures/xml-fixtures.js';
import { bearer, signup, type SignedUp } from '../../helpers/auth.js';
import { uploadRaw } from '../../helpers/documents.js';
import { useTestEnv } from '../../helpers/test-env.js';

const env = useTestEnv();
let workers: RunningWorkers;
let firm: SignedUp;
let otherFirm: SignedUp;

beforeAll(async () => {
  workers = await startWorkers(env.container);
  firm = await signup(env.app);
  otherFirm = await signup(env.app);
});
afterAll(async () => workers?.close());

interface Finding {
  code: string;
  severity: string;
  field?: string;
}

async function processed(
  who: SignedUp,
  invoice: FixtureInvoice,
): Promise<{ id: string; status: string; findings: Finding[] }> {
  const up = await uploadRaw(env.app, who.token, Buffer.from(ublXml(invoice)), {
    contentType: 'application/xml',
  });
  expect(up.statusCode, up.body).toBe(201);
  const id = up.json().id as string;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const doc = (await env.app.inject({ url: `/v1/documents/${id}`, headers: bearer(who.token) })).json();
    if (!['stored', 'queued', 'extracting'].includes(doc.status)) {
      const extraction = (
        await env.app.inject({ url: `/v1/documents/${id}/extraction`, headers: bearer(who.token) })
      ).json();
      return { id, status: doc.status, findings: extraction.result.findings };
    }
    if (Date.now() > deadline) throw new Error('not extracted in time');
    await new Promise((r) => setTimeout(r, 150));
  }
}

async function validate(who: SignedUp, id: string): Promise<void> {
  const res = await env.app.inject({
    method: 'POST',
    url: `/v1/documents/${id}/extraction/validate`,
    headers: bearer(who.token),
    payload: {},
  });
  expect(res.statusCode, res.body).toBe(200);
}

const NEW_IBAN = 'CZ6508000000192000145399';

describe('supplier directory', () => {
  it('flags a known supplier whose invoice asks for a different IBAN and sends it to review', async () => {
    const first = await processed(firm, { ...SAMPLE, number: 'SUP-1' });
    expect(first.status).toBe('extracted');
    // Unknown before anything was validated: no directory finding at all.
    expect(first.findings.map((f) => f.code)).not.toContain('supplier_known');
    await validate(firm, first.id);

    const sameAccount = await processed(firm, { ...SAMPLE, number: 'SUP-2' });
    expect(sameAccount.status).toBe('extracted');
    expect(sameAccount.findings).toContainEqual(
      expect.objectContaining({ code: 'supplier_known', severity: 'info' }),
    );
    expect(sameAccount.findings.map((f) => f.code)).not.toContain('supplier_iban_changed');

    const changed = await processed(firm, { ...SAMPLE, number: 'SUP-3', iban: NEW_IBAN });
    expect(changed.findings).toContainEqual(
      expect.objectContaining({ code: 'supplier_iban_changed', severity: 'error', field: 'payment.iban' }),
    );
    expect(changed.status).toBe('needs_review');
  });

  it("does not see another tenant's suppliers", async () => {
    // The first firm validated SAMPLE's seller above; for the other firm it is a stranger.
    const doc = await processed(otherFirm, { ...SAMPLE, number: 'OTHER-1', iban: NEW_IBAN });
    expect(doc.status).toBe('extracted');
    expect(doc.findings.map((f) => f.code)).not.toContain('supplier_iban_changed');
    expect(doc.findings.map((f) => f.code)).not.toContain('supplier_known');
  });
});
