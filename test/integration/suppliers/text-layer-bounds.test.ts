/**
 * The stored text layer has a cap (MAX_LAYER_WORDS words, MAX_LAYER_CHARS characters): a layer
 * over it, as a hostile PDF's engine run could hand over, is cut where it is stored, keeping the
 * words in reading order that learning needs; and the table refuses any writer's layer beyond the
 * word bound or 4 MiB (migration 20261204020000).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemContext } from '../../../src/core/request-context.js';
import { MAX_LAYER_CHARS, MAX_LAYER_WORDS, type TextLayer } from '../../../src/extraction/model.js';
import { startWorkers, type RunningWorkers } from '../../../src/workers/start-workers.js';
import { germanLayout, textInvoicePdfBytes } from '../../unit/extraction/fixtures/pdf-fixtures.js';
import { SAMPLE } from '../../unit/extraction/fixtures/invoice-model.js';
import { bearer, signup, type SignedUp } from '../../helpers/auth.js';
import { uploadRaw, waitUntilProcessed } from '../../helpers/documents.js';
import { useTestEnv } from '../../helpers/test-env.js';

const env = useTestEnv();
let workers: RunningWorkers;
let owner: SignedUp;

beforeAll(async () => {
  workers = await startWorkers(env.container);
  owner = await signup(env.app);
});
afterAll(async () => workers?.close());

/** A text PDF whose document number stands beside "Vorgang", which only learning can find. */
async function extractedPdf(number: string): Promise<string> {
  const layout = germanLayout(SAMPLE);
  layout.title = 'Rechnung';
  layout.header = [
    ['Vorgang', number],
    ['Rechnungsdatum:', '14.03.2024'],
  ];
  const up = await uploadRaw(env.app, owner.token, Buffer.from(await textInvoicePdfBytes(layout)), {
    contentType: 'application/pdf',
  });
  expect(up.statusCode, up.body).toBe(201);
  const id = up.json().id as string;
  await waitUntilProcessed(env.app, owner.token, id);
  return id;
}

async function storedLayer(documentId: string): Promise<TextLayer> {
  const { rows } = await env.adminQuery<{ layer: TextLayer }>(
    'SELECT layer FROM document_text_layers WHERE document_id = $1',
    [documentId],
  );
  expect(rows).toHaveLength(1);
  return rows[0]!.layer;
}

const charsOf = (layer: TextLayer) => layer.words.reduce((n, w) => n + w[5].length, 0);

describe('the stored text layer', () => {
  it('is cut to the cap where it is stored, and learning still finds the label in what is kept', async () => {
    const documentId = await extractedPdf('KW-2024/0900');
    const real = await storedLayer(documentId);
    expect(real.words.length).toBeGreaterThan(5);
    // What a hostile PDF's run could hand over: the real words, then 100,000 more of 150
    // characters each, on later pages.
    const filler = Array.from(
      { length: 100_000 },
      (_, i) => [2 + Math.floor(i / 1000), 10, 10, 20, 20, `${i}`.padEnd(150, 'q')] as const,
    );
    const hostile: TextLayer = { units: real.units, words: [...real.words, ...filler] };
    const { rows: run } = await env.adminQuery<{ run: string }>(
      'SELECT processing_run_id::text AS run FROM documents WHERE id = $1',
      [documentId],
    );
    const ctx = systemContext(owner.tenantId, { kind: 'worker', id: 'worker:extraction' });
    await env.container.db.withTenant(ctx, (tx) =>
      env.container.suppliers.saveTextLayer(tx, ctx, documentId, run[0]!.run, hostile),
    );

    const kept = await storedLayer(documentId);
    expect(kept.words.length).toBeLessThanOrEqual(MAX_LAYER_WORDS);
    expect(charsOf(kept)).toBeLessThanOrEqual(MAX_LAYER_CHARS);
    expect(kept.words.every((w) => w[5].length <= 100)).toBe(true);
    expect(kept.words.slice(0, real.words.length)).toEqual(real.words);
    expect(kept.words.length).toBeLessThan(real.words.length + filler.length);

    const corrected = await env.app.inject({
      method: 'PATCH',
      url: `/v1/documents/${documentId}/extraction`,
      headers: bearer(owner.token),
      payload: { fields: { invoiceNumber: 'KW-2024/0900' } },
    });
    expect(corrected.statusCode, corrected.body).toBe(200);
    const suppliers = await env.app.inject({ url: '/v1/suppliers', headers: bearer(owner.token) });
    expect(suppliers.json().items).toEqual([expect.objectContaining({ hintFields: ['invoiceNumber'] })]);
  });

  it('refuses, in the table, a layer beyond the word bound or 4 MiB, or one without words', async () => {
    const documentId = await extractedPdf('KW-2024/0901');
    const write = (layer: unknown) =>
      env.adminQuery('UPDATE document_text_layers SET layer = $2::jsonb WHERE document_id = $1', [
        documentId,
        JSON.stringify(layer),
      ]);
    const word = (text: string) => [1, 10, 10, 20, 20, text];
    const refused = { code: '23514', constraint: 'document_text_layers_bounded' };

    await expect(
      write({ units: 'pt', words: Array.from({ length: MAX_LAYER_WORDS + 1 }, () => word('a')) }),
    ).rejects.toMatchObject(refused);
    // Within the word bound but ~5 MB (it would compress to almost nothing: the bound is on what
    // the layer holds).
    await expect(
      write({ units: 'pt', words: Array.from({ length: MAX_LAYER_WORDS }, () => word('b'.repeat(250))) }),
    ).rejects.toMatchObject(refused);
    await expect(write({ units: 'pt' })).rejects.toMatchObject(refused);
    await expect(write({ units: 'pt', words: {} })).rejects.toMatchObject(refused);

    // The largest layer the pipeline stores fits.
    const largest = Array.from({ length: MAX_LAYER_WORDS }, () => [
      99999,
      -12345.6,
      -12345.6,
      -12345.6,
      -12345.6,
      'ž'.repeat(MAX_LAYER_CHARS / MAX_LAYER_WORDS),
    ]);
    await write({ units: 'pt', words: largest });
    expect((await storedLayer(documentId)).words).toHaveLength(MAX_LAYER_WORDS);
  });
});
