import { describe, expect, it } from 'vitest';
import { applyLearnedSuppliers } from '../../../src/extraction/hints/apply.js';
import { learnFieldHint } from '../../../src/extraction/hints/learn.js';
import { layerWords, toTextLayer } from '../../../src/extraction/hints/text-layer.js';
import type { LearnedSupplier } from '../../../src/extraction/hints/types.js';
import { extractTextFields } from '../../../src/extraction/text/text-fields.js';
import type { Word } from '../../../src/extraction/text/words.js';
import { wordsOf } from './fixtures/word-layout.js';

/**
 * A supplier whose invoice number sits under an unusual label ("Dokument-Kennung") and whose
 * totals the general rules read from the wrong line: what a person corrects once.
 */
function supplierLayout(number: string, gross: string, options: { label?: string } = {}): Word[] {
  return wordsOf([
    [40, 40, 'Kontorbedarf Weber GmbH'],
    [40, 52, 'Lindenweg 4, 50667 Köln'],
    [40, 64, 'USt-IdNr. DE811907980'],
    [320, 40, 'Rechnung'],
    [320, 70, `${options.label ?? 'Dokument-Kennung'}`],
    [440, 70, number],
    [320, 82, 'Datum: 14.03.2024'],
    [40, 140, 'Kunde: Muster Handel AG'],
    [40, 300, 'Zwischensumme netto'],
    [440, 300, '100,00'],
    [40, 314, 'Zahlbetrag (inkl. Versand)'],
    [440, 314, gross],
    [40, 500, 'IBAN DE89 3704 0044 0532 0130 00'],
  ]);
}

const profileFrom = (words: Word[], corrections: Record<string, string>): LearnedSupplier => ({
  name: 'Kontorbedarf Weber GmbH',
  vatId: 'DE811907980',
  ibans: ['DE89370400440532013000'],
  hints: Object.entries(corrections).map(([field, value]) => {
    const hint = learnFieldHint(words, field as never, value, 'pt');
    if (!hint) throw new Error(`no hint for ${field}`);
    return hint;
  }),
});

describe('learned field hints', () => {
  it('learns where a corrected value is printed: its page, label, place and shape', () => {
    const hint = learnFieldHint(
      supplierLayout('KW-2024/0117', '131,50'),
      'invoiceNumber',
      'KW-2024/0117',
      'pt',
    );
    expect(hint).toMatchObject({
      field: 'invoiceNumber',
      page: 1,
      anchor: 'label-right',
      label: 'dokument-kennung',
      pattern: 'A-9/9',
      dx: 120,
      dy: 0,
    });
    expect(learnFieldHint(supplierLayout('KW-1', '1,00'), 'invoiceNumber', 'NOT-PRINTED-7', 'pt')).toBeNull();
  });

  it('reads the next invoice of the supplier from the learned place, as learned', () => {
    const first = supplierLayout('KW-2024/0117', '131,50');
    const profile = profileFrom(first, { invoiceNumber: 'KW-2024/0117', 'totals.gross': '131.50' });
    const next = supplierLayout('KW-2024/0342', '87,20');
    const fields = extractTextFields(next, 'text');
    const findings = applyLearnedSuppliers(fields, next, 'pt', [profile]);
    expect(fields.invoiceNumber).toMatchObject({ value: 'KW-2024/0342', source: 'learned' });
    expect(fields['totals.gross']?.value).toBe('87.20');
    expect(fields['totals.gross']?.confidence).toBeGreaterThanOrEqual(0.9);
    expect(findings[0]).toMatchObject({ code: 'supplier_profile_applied', severity: 'info' });
  });

  it('falls back to the general rules when the new document does not fit a hint', () => {
    const profile = profileFrom(supplierLayout('KW-2024/0117', '131,50'), { invoiceNumber: 'KW-2024/0117' });
    // The label is gone on this layout: nothing learned applies, the rules' reading stays.
    const relabelled = supplierLayout('KW-2024/0342', '87,20', { label: 'Rechnungsnummer:' });
    const general = extractTextFields(relabelled, 'text');
    const fields = extractTextFields(relabelled, 'text');
    const findings = applyLearnedSuppliers(fields, relabelled, 'pt', [profile]);
    expect(fields.invoiceNumber).toEqual(general.invoiceNumber);
    expect(findings[0]?.message).toContain('is not on page 1');
    // The label is there but what stands beside it has another shape: also the rules' value.
    const reshaped = supplierLayout('0342', '87,20');
    const reshapedFields = extractTextFields(reshaped, 'text');
    applyLearnedSuppliers(reshapedFields, reshaped, 'pt', [profile]);
    expect(reshapedFields.invoiceNumber?.source).not.toBe('learned');
  });

  it('applies nothing to a document of another supplier', () => {
    const profile = profileFrom(supplierLayout('KW-2024/0117', '131,50'), { invoiceNumber: 'KW-2024/0117' });
    const other = wordsOf([
      [40, 40, 'Papierhaus Schulz KG'],
      [40, 64, 'USt-IdNr. DE136695976'],
      [320, 70, 'Dokument-Kennung'],
      [440, 70, 'PS-2024/0001'],
    ]);
    const fields = extractTextFields(other, 'text');
    expect(applyLearnedSuppliers(fields, other, 'pt', [profile])).toEqual([]);
    expect(fields.invoiceNumber?.source).not.toBe('learned');
  });

  it('fills a value the page does not print from earlier corrections, never over a printed one', () => {
    const words = supplierLayout('KW-2024/0342', '87,20');
    const profile: LearnedSupplier = {
      ...profileFrom(words, {}),
      constants: { 'buyer.vatId': 'DE999999999', currency: 'CHF' },
    };
    const fields = extractTextFields(words, 'text');
    fields.currency = { value: 'EUR', confidence: 0.9, source: 'text' };
    applyLearnedSuppliers(fields, words, 'pt', [profile]);
    expect(fields['buyer.vatId']).toEqual({ value: 'DE999999999', confidence: 0.75, source: 'learned' });
    expect(fields.currency).toMatchObject({ value: 'EUR', source: 'text' });
  });

  it('learns a name printed over two lines and reads both lines on the next document', () => {
    const layout = (name: [string, string]) => [
      ...supplierLayout('KW-2024/0117', '131,50'),
      ...wordsOf([
        [40, 200, name[0]],
        [40, 212, name[1]],
      ]),
    ];
    const hint = learnFieldHint(
      layout(['Herrn', 'Max Mustermann']),
      'buyer.name',
      'Herrn Max Mustermann',
      'pt',
    );
    expect(hint).toMatchObject({ field: 'buyer.name', lines: 2 });
    const profile: LearnedSupplier = { ...profileFrom([], {}), hints: [hint!] };
    const next = layout(['Frau', 'Erika Musterfrau']);
    const fields = extractTextFields(next, 'text');
    applyLearnedSuppliers(fields, next, 'pt', [profile]);
    // Read from the learned place (both lines); the rules agree here, so it is their value made surer.
    expect(fields['buyer.name']?.value).toBe('Frau Erika Musterfrau');
    expect(fields['buyer.name']!.confidence).toBeGreaterThanOrEqual(0.9);
  });

  it('keeps a bounded, checked text layer', () => {
    const words = supplierLayout('KW-1', '1,00');
    const layer = toTextLayer(words, 'pt');
    expect(layerWords(JSON.parse(JSON.stringify(layer)))).toEqual(words);
    expect(layerWords({ words: [[1, 2, 3], 'x', [1, 0, 0, 1, 1, 'ok'], [1, 'a', 0, 1, 1, 'no']] })).toEqual([
      { page: 1, x0: 0, y0: 0, x1: 1, y1: 1, text: 'ok' },
    ]);
    expect(layerWords(null)).toEqual([]);
  });
});
