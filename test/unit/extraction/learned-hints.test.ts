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

  it('fills a buyer VAT ID the page does not print only for the buyer it was entered for, marked as not read', () => {
    const words = supplierLayout('KW-2024/0342', '87,20');
    const profile: LearnedSupplier = {
      ...profileFrom(words, {}),
      constants: { 'buyer.vatId': 'DE999999999', forBuyer: 'Muster Handel AG', currency: 'CHF' },
    };
    const fields = extractTextFields(words, 'text');
    fields['buyer.name'] = { value: 'Muster Handel AG', confidence: 0.9, source: 'text' };
    fields.currency = { value: 'EUR', confidence: 0.9, source: 'text' };
    const findings = applyLearnedSuppliers(fields, words, 'pt', [profile]);
    // No place on the page (no bbox), below a printed value's confidence, and a finding of its own.
    expect(fields['buyer.vatId']).toEqual({ value: 'DE999999999', confidence: 0.75, source: 'learned' });
    expect(findings).toContainEqual(
      expect.objectContaining({
        code: 'filled_from_supplier_profile',
        severity: 'info',
        field: 'buyer.vatId',
      }),
    );
    // Never over a printed value.
    expect(fields.currency).toMatchObject({ value: 'EUR', source: 'text' });
    expect(findings.some((f) => f.field === 'currency')).toBe(false);

    // The same supplier billing another of the firm's clients: that buyer's VAT ID is not known.
    const other = extractTextFields(words, 'text');
    other['buyer.name'] = { value: 'Papierhaus Schulz KG', confidence: 0.9, source: 'text' };
    applyLearnedSuppliers(other, words, 'pt', [profile]);
    expect(other['buyer.vatId']).toBeUndefined();
  });

  it("never fills the supplier's VAT ID or company id that a page does not print", () => {
    // The page names the supplier by its IBAN only: the profile is found, its ids are not filled in.
    const words = wordsOf([
      [40, 40, 'Kontorbedarf Weber GmbH'],
      [320, 70, 'Dokument-Kennung'],
      [440, 70, 'KW-2024/0342'],
      [40, 500, 'IBAN DE89 3704 0044 0532 0130 00'],
    ]);
    const profile: LearnedSupplier = { ...profileFrom(words, {}), companyId: 'HRB 4711' };
    const fields = extractTextFields(words, 'text');
    delete fields['seller.vatId'];
    delete fields['seller.companyId'];
    const findings = applyLearnedSuppliers(fields, words, 'pt', [profile]);
    expect(findings[0]?.code).toBe('supplier_profile_applied');
    expect(fields['seller.vatId']).toBeUndefined();
    expect(fields['seller.companyId']).toBeUndefined();
  });

  it('reads a learned value from where a moved layout puts it, the nearest place of the learned shape', () => {
    // No label near the number: it is learned as a place on the page.
    const layout = (number: string, extraLine: boolean) =>
      wordsOf([
        [40, 40, 'Kontorbedarf Weber GmbH'],
        [40, 64, 'USt-IdNr. DE811907980'],
        ...(extraLine ? ([[440, 70, 'Seite 1 von 2']] as [number, number, string][]) : []),
        [440, extraLine ? 84 : 70, number],
      ]);
    const hint = learnFieldHint(layout('KW-2024/0117', false), 'invoiceNumber', 'KW-2024/0117', 'pt');
    expect(hint).toMatchObject({ anchor: 'page', pattern: 'A-9/9' });
    const profile: LearnedSupplier = { ...profileFrom([], {}), hints: [hint!] };
    // The next invoice has a line more above the number: what stands at the old place has another shape.
    const next = layout('KW-2024/0342', true);
    const fields = extractTextFields(next, 'text');
    applyLearnedSuppliers(fields, next, 'pt', [profile]);
    expect(fields.invoiceNumber).toMatchObject({ value: 'KW-2024/0342', source: 'learned' });
  });

  it('finds a learned label on another page when the invoice is shorter or longer than the one it was learned on', () => {
    const header = wordsOf([
      [40, 40, 'Kontorbedarf Weber GmbH'],
      [40, 64, 'USt-IdNr. DE811907980'],
    ]);
    const totals = (gross: string, page: number) =>
      wordsOf(
        [
          [40, 300, 'Belegwert'],
          [440, 300, gross],
        ],
        page,
      );
    // Learned on a two-page invoice, its total on page 2.
    const twoPages = [...header, ...wordsOf([[40, 100, 'Positionen ...']], 2), ...totals('131,50', 2)];
    const hint = learnFieldHint(twoPages, 'totals.gross', '131.50', 'pt');
    expect(hint).toMatchObject({ page: 2, anchor: 'label-right' });
    const profile: LearnedSupplier = { ...profileFrom([], {}), hints: [hint!] };
    // The next invoice fits on one page.
    const onePage = [...header, ...totals('87,20', 1)];
    const fields = extractTextFields(onePage, 'text');
    // The general rules do not know this label: the value is the profile's reading.
    expect(fields['totals.gross']?.value).not.toBe('87.20');
    applyLearnedSuppliers(fields, onePage, 'pt', [profile]);
    expect(fields['totals.gross']).toMatchObject({ value: '87.20', source: 'learned', page: 1 });
  });

  it('does not read an address line as a name where a layout that moved puts one', () => {
    // Learned: the buyer's name two lines under the supplier's name block.
    const first = wordsOf([
      [40, 40, 'Kontorbedarf Weber GmbH'],
      [40, 64, 'Muster Handel AG'],
      [320, 70, 'Dokument-Kennung'],
      [440, 70, 'KW-2024/0117'],
      [40, 500, 'IBAN DE89 3704 0044 0532 0130 00'],
    ]);
    const hint = learnFieldHint(first, 'buyer.name', 'Muster Handel AG', 'pt');
    expect(hint?.pattern).not.toMatch(/9/);
    const profile: LearnedSupplier = { ...profileFrom([], {}), hints: [hint!] };
    // Here the supplier's address moved into that place, and the buyer further down.
    const moved = wordsOf([
      [40, 40, 'Kontorbedarf Weber GmbH'],
      [40, 64, 'Lindenweg 4, 50667 Köln'],
      [40, 140, 'Kunde: Muster Handel AG'],
      [320, 70, 'Dokument-Kennung'],
      [440, 70, 'KW-2024/0342'],
      [40, 500, 'IBAN DE89 3704 0044 0532 0130 00'],
    ]);
    const fields = extractTextFields(moved, 'text');
    const general = fields['buyer.name'];
    const findings = applyLearnedSuppliers(fields, moved, 'pt', [profile]);
    expect(fields['buyer.name']?.source).not.toBe('learned');
    expect(fields['buyer.name']).toEqual(general);
    expect(findings[0]?.message).toContain('has digits');
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
