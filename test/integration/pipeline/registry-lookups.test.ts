/**
 * Registry lookups switched on through configuration, through the real pipeline: the seller's VAT
 * ID goes to VIES and a Czech seller's IČO to ARES (local contract servers); what they say becomes
 * findings and learned master data on the stored extraction.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkers, type RunningWorkers } from '../../../src/workers/start-workers.js';
import { SAMPLE, type FixtureInvoice } from '../../unit/extraction/fixtures/invoice-model.js';
import { ublXml } from '../../unit/extraction/fixtures/xml-fixtures.js';
import { bearer, signup, type SignedUp } from '../../helpers/auth.js';
import { uploadRaw } from '../../helpers/documents.js';
import { startAresContractServer, startViesContractServer } from '../../helpers/registry-contract-servers.js';
import { useTestEnv } from '../../helpers/test-env.js';

const ares = await startAresContractServer([
  {
    ico: '27074358',
    obchodniJmeno: 'Asseco Central Europe, a.s.',
    dic: 'CZ27074358',
    ulice: 'Budějovická',
    cisloDomovni: 778,
    obec: 'Praha',
    psc: 14000,
  },
]);
const vies = await startViesContractServer([{ vatId: 'DE136695976' }, { vatId: 'CZ27074358' }]);

const env = useTestEnv({
  env: {
    REGISTRY_ARES_ENABLED: 'true',
    REGISTRY_VIES_ENABLED: 'true',
    ARES_BASE_URL: ares.url,
    VIES_BASE_URL: vies.url,
    REGISTRY_TIMEOUT_MS: '2000',
  },
});
let workers: RunningWorkers;
let firm: SignedUp;

beforeAll(async () => {
  workers = await startWorkers(env.container);
  firm = await signup(env.app);
});
afterAll(async () => {
  await workers?.close();
  await ares.close();
  await vies.close();
});

interface Finding {
  code: string;
  severity: string;
}

async function processed(invoice: FixtureInvoice) {
  const up = await uploadRaw(env.app, firm.token, Buffer.from(ublXml(invoice)), {
    contentType: 'application/xml',
  });
  expect(up.statusCode, up.body).toBe(201);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const doc = (
      await env.app.inject({ url: `/v1/documents/${up.json().id}`, headers: bearer(firm.token) })
    ).json();
    if (!['stored', 'queued', 'extracting'].includes(doc.status)) {
      const extraction = (
        await env.app.inject({ url: `/v1/documents/${doc.id}/extraction`, headers: bearer(firm.token) })
      ).json();
      return {
        status: doc.status as string,
        result: extraction.result as {
          findings: Finding[];
          fields: Record<string, { value: string; source: string }>;
        },
      };
    }
    if (Date.now() > deadline) throw new Error('not extracted in time');
    await new Promise((r) => setTimeout(r, 150));
  }
}

describe('registry lookups in the pipeline', () => {
  it('confirms a registered VAT ID through VIES', async () => {
    const { result } = await processed({ ...SAMPLE, number: 'REG-1' });
    expect(result.findings).toContainEqual(
      expect.objectContaining({ code: 'vat_id_registered', severity: 'info' }),
    );
    expect(vies.requests.map((r) => r.path)).toContain('/taxation_customs/vies/rest-api/ms/DE/vat/136695976');
    // A German seller's HRB number is not an IČO: ARES was not asked.
    expect(ares.requests).toHaveLength(0);
  });

  it('warns about an unregistered VAT ID and a Czech seller whose registered name differs', async () => {
    const { result } = await processed({
      ...SAMPLE,
      number: 'REG-2',
      currency: 'CZK',
      seller: { name: 'Asseco Solutions s.r.o.', vatId: 'CZ27074358', companyId: '27074358' },
    });
    expect(ares.requests.map((r) => r.path)).toEqual([
      '/ekonomicke-subjekty-v-be/rest/ekonomicke-subjekty/27074358',
    ]);
    expect(result.findings).toContainEqual(
      expect.objectContaining({ code: 'registry_name_mismatch', severity: 'warning' }),
    );
    const unregistered = await processed({
      ...SAMPLE,
      number: 'REG-3',
      seller: { ...SAMPLE.seller, vatId: 'DE811907980' },
    });
    expect(unregistered.result.findings).toContainEqual(
      expect.objectContaining({ code: 'vat_id_not_registered', severity: 'warning' }),
    );
  });

  it('notes a register that does not answer and stores the extraction anyway', async () => {
    vies.stallMs = 5_000;
    try {
      const { status, result } = await processed({
        ...SAMPLE,
        number: 'REG-4',
        seller: { ...SAMPLE.seller, vatId: 'DE129273398' },
      });
      expect(status).toBe('extracted');
      expect(result.findings).toContainEqual(
        expect.objectContaining({ code: 'registry_unavailable', severity: 'info' }),
      );
    } finally {
      vies.stallMs = 0;
    }
  });
});
