import { afterAll, describe, expect, it } from 'vitest';
import { ExtractionError } from '../../../src/extraction/index.js';
import { createExtractionPool } from '../../../src/workers/extraction-pool.js';
import { SAMPLE } from '../../unit/extraction/fixtures/invoice-model.js';
import { ublXml } from '../../unit/extraction/fixtures/xml-fixtures.js';

const pool = createExtractionPool(2);
afterAll(() => pool.close());

describe('extraction thread pool', () => {
  it('runs the engine in worker threads, several documents at once', async () => {
    const results = await Promise.all(
      [1, 2, 3].map((n) =>
        pool.run({
          bytes: new TextEncoder().encode(ublXml({ ...SAMPLE, number: `POOL-${n}` })),
          filename: 'x.xml',
          timeoutMs: 30_000,
        }),
      ),
    );
    expect(results.map((r) => r.fields.invoiceNumber?.value)).toEqual(['POOL-1', 'POOL-2', 'POOL-3']);
  });

  it('hands the supplier directory to the thread with the task', async () => {
    const result = await pool.run({
      bytes: new TextEncoder().encode(ublXml({ ...SAMPLE, iban: 'CZ6508000000192000145399' })),
      timeoutMs: 30_000,
      suppliers: [{ vatId: SAMPLE.seller.vatId, ibans: [SAMPLE.iban], documents: 2 }],
    });
    expect(result.findings).toContainEqual(
      expect.objectContaining({ code: 'supplier_iban_changed', severity: 'error' }),
    );
    expect(result.needsReview).toBe(true);
  });

  it('passes the engine’s refusals back with their codes', async () => {
    const attempt = pool.run({
      bytes: new TextEncoder().encode('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'),
      timeoutMs: 30_000,
    });
    await expect(attempt).rejects.toBeInstanceOf(ExtractionError);
    await expect(attempt).rejects.toMatchObject({ code: 'xml_entities_forbidden' });
  });
});
