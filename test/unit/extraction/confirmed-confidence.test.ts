/**
 * Confidence beyond one reading of the page: values an independent check confirms (totals that
 * reconcile, the known supplier's master data, a learned hint agreeing with the rules) are
 * calibrated apart from unconfirmed ones, and reach a high confidence only where their check holds
 * and the calibration table has measured such values; a finding about a field undoes the check.
 */
import { describe, expect, it } from 'vitest';
import {
  calibrateField,
  calibrationInput,
  CONFIRMED_SCORE,
  type CalibrationTable,
} from '../../../src/extraction/calibration.js';
import { applyCorrections } from '../../../src/extraction/corrections.js';
import { finalizeResult } from '../../../src/extraction/finalize.js';
import { applyLearnedSuppliers } from '../../../src/extraction/hints/apply.js';
import { learnFieldHint } from '../../../src/extraction/hints/learn.js';
import type { LearnedSupplier } from '../../../src/extraction/hints/types.js';
import { extractTextFields } from '../../../src/extraction/text/text-fields.js';
import type { Word } from '../../../src/extraction/text/words.js';
import {
  applySupplierDirectory,
  invoiceNumberShape,
  type KnownSupplier,
} from '../../../src/extraction/suppliers/directory.js';
import type { ExtractedField, ExtractionResult, FieldName } from '../../../src/extraction/types.js';
import { confirmTotals, dropDoubtedConfirmations } from '../../../src/extraction/validate/confirm.js';
import { buildDirectory } from '../../../src/modules/extractions/extractions.suppliers.js';
import { wordsOf } from './fixtures/word-layout.js';

type Fields = Partial<Record<FieldName, ExtractedField>>;
const text = (value: string, confidence = 0.9): ExtractedField => ({ value, confidence, source: 'text' });

const TABLE: CalibrationTable = {
  text: [{ from: 0, confidence: 0.96 }],
  'text+confirmed': [{ from: 0, confidence: 0.995 }],
};

function finalized(fields: Fields): ExtractionResult {
  return finalizeResult(
    { documentType: 'invoice', format: 'pdf-text', fields, vatBreakdown: [], lines: [], findings: [] },
    { totalMs: 1 },
    { calibrate: false },
  );
}

describe('totals that reconcile confirm each other', () => {
  it('confirms net, tax and gross when net + tax = gross to the cent, and a due amount equal to the gross', () => {
    const fields: Fields = {
      'totals.net': text('100.00'),
      'totals.tax': text('21.00'),
      'totals.gross': text('121.00'),
      'totals.due': text('121.00'),
    };
    confirmTotals(fields);
    for (const name of ['totals.net', 'totals.tax', 'totals.gross', 'totals.due'] as const)
      expect(fields[name]?.confirmedBy, name).toBe('totals');
  });

  it('confirms nothing when they are a cent apart, when the tax is zero, or when one is missing', () => {
    const apart: Fields = {
      'totals.net': text('100.00'),
      'totals.tax': text('21.00'),
      'totals.gross': text('121.01'),
    };
    const untaxed: Fields = {
      'totals.net': text('121.00'),
      'totals.tax': text('0.00'),
      'totals.gross': text('121.00'),
    };
    const partial: Fields = { 'totals.net': text('100.00'), 'totals.gross': text('121.00') };
    for (const fields of [apart, untaxed, partial]) {
      confirmTotals(fields);
      expect(Object.values(fields).filter((f) => f?.confirmedBy)).toEqual([]);
    }
  });

  it('leaves a due amount that differs from the gross unconfirmed (a prepaid part is not checked)', () => {
    const fields: Fields = {
      'totals.net': text('100.00'),
      'totals.tax': text('21.00'),
      'totals.gross': text('121.00'),
      'totals.due': text('21.00'),
    };
    confirmTotals(fields);
    expect(fields['totals.gross']?.confirmedBy).toBe('totals');
    expect(fields['totals.due']?.confirmedBy).toBeUndefined();
  });

  it('undoes a confirmation that a warning or error finding about the field doubts', () => {
    const fields: Fields = { 'payment.iban': { ...text('DE02120300000000202052'), confirmedBy: 'supplier' } };
    dropDoubtedConfirmations(fields, [
      { code: 'iban_invalid_checksum', severity: 'error', field: 'payment.iban', message: 'm' },
    ]);
    expect(fields['payment.iban']?.confirmedBy).toBeUndefined();
  });
});

describe('calibration of confirmed values', () => {
  it('calibrates a confirmed value with the measured confirmed values of its source, at the check score', () => {
    const field = { ...text('121.00', 0.8), confirmedBy: 'totals' as const };
    expect(calibrationInput(TABLE, field)).toEqual({ key: 'text+confirmed', score: CONFIRMED_SCORE });
    expect(calibrateField(TABLE, field)).toBe(0.995);
  });

  it('never lifts an unconfirmed value, nor a confirmed one whose source has no measured confirmed values', () => {
    expect(calibrateField(TABLE, text('121.00', 0.98))).toBe(0.96);
    expect(calibrateField(TABLE, text('121.00', 0.8))).toBe(0.8);
    const ocr = { value: '121.00', confidence: 0.8, source: 'ocr' as const, confirmedBy: 'totals' as const };
    expect(calibrateField({ ...TABLE, ocr: [{ from: 0, confidence: 0.9 }] }, ocr)).toBe(0.8);
    // No table for the source at all (e.g. qr): the reading's own score, not the check's.
    expect(calibrateField(TABLE, { ...ocr, source: 'qr' })).toBe(0.8);
  });

  it('confirms the totals of a finalized result only while its checks hold', () => {
    const clean = finalized({
      'totals.net': text('100.00'),
      'totals.tax': text('21.00'),
      'totals.gross': text('121.00'),
    });
    expect(clean.fields['totals.gross']?.confirmedBy).toBe('totals');
    // The VAT breakdown contradicts the net total: the check holds for gross and tax, not for net.
    const doubted = finalizeResult(
      {
        documentType: 'invoice',
        format: 'pdf-text',
        fields: { 'totals.net': text('100.00'), 'totals.tax': text('21.00'), 'totals.gross': text('121.00') },
        vatBreakdown: [{ rate: '21', base: '90.00', tax: '21.00' }],
        lines: [],
        findings: [],
      },
      { totalMs: 1 },
      { calibrate: false },
    );
    expect(doubted.findings.map((f) => f.code)).toContain('vat_base_sum_mismatch');
    expect(doubted.fields['totals.net']?.confirmedBy).toBeUndefined();
  });
});

describe("the known supplier's master data confirms what the page prints", () => {
  const KNOWN: KnownSupplier[] = [
    {
      name: 'Muster Lieferant GmbH',
      vatId: 'DE136695976',
      ibans: ['DE02120300000000202051'],
      documents: 2,
    },
  ];

  it('confirms the name, VAT ID and IBAN printed as the supplier matched by its VAT ID has them', () => {
    const fields: Fields = {
      'seller.name': text('Muster Lieferant GmbH'),
      'seller.vatId': text('DE136695976'),
      'payment.iban': text('DE02120300000000202051'),
    };
    applySupplierDirectory(fields, KNOWN);
    expect(fields['seller.name']?.confirmedBy).toBe('supplier');
    expect(fields['seller.vatId']?.confirmedBy).toBe('supplier');
    expect(fields['payment.iban']?.confirmedBy).toBe('supplier');
  });

  it('does not confirm a name matched only by its likeness, nor an IBAN the supplier was never paid to', () => {
    const fields: Fields = {
      'seller.name': text('Muster Lieferant GmbH'),
      'payment.iban': text('DE89370400440532013000'),
    };
    const findings = applySupplierDirectory(fields, KNOWN);
    expect(fields['seller.name']?.confirmedBy).toBeUndefined();
    expect(fields['payment.iban']?.confirmedBy).toBeUndefined();
    expect(findings.map((f) => f.code)).toContain('supplier_iban_changed');
  });

  it('does not confirm master data it fills in where the page printed none', () => {
    const fields: Fields = { 'seller.vatId': text('DE136695976') };
    applySupplierDirectory(fields, KNOWN);
    expect(fields['seller.name']).toMatchObject({ source: 'learned' });
    expect(fields['seller.name']?.confirmedBy).toBeUndefined();
  });
});

describe('a learned hint confirms only a reading it agrees with', () => {
  const layout = (label: string, number: string): Word[] =>
    wordsOf([
      [40, 40, 'Kontorbedarf Weber GmbH'],
      [40, 64, 'USt-IdNr. DE811907980'],
      [320, 70, label],
      [440, 70, number],
      [320, 82, 'Datum: 14.03.2024'],
      [40, 300, 'Gesamtbetrag'],
      [440, 300, '131,50'],
    ]);
  const profileFor = (words: Word[], number: string): LearnedSupplier => ({
    name: 'Kontorbedarf Weber GmbH',
    vatId: 'DE811907980',
    ibans: [],
    hints: [learnFieldHint(words, 'invoiceNumber', number, 'pt')!],
  });

  it('confirms the rules reading the hint reads too, and the master data printed as the profile has it', () => {
    const profile = profileFor(layout('Rechnungsnummer:', 'KW-2024/0117'), 'KW-2024/0117');
    const next = layout('Rechnungsnummer:', 'KW-2024/0342');
    const fields = extractTextFields(next, 'text');
    expect(fields.invoiceNumber?.value).toBe('KW-2024/0342');
    applyLearnedSuppliers(fields, next, 'pt', [profile]);
    expect(fields.invoiceNumber).toMatchObject({ value: 'KW-2024/0342', confirmedBy: 'hint' });
    expect(fields['seller.vatId']).toMatchObject({ value: 'DE811907980', confirmedBy: 'supplier' });
  });

  it('does not confirm a value only the hint read (one reading, at a learned place)', () => {
    const profile = profileFor(layout('Dokument-Kennung', 'KW-2024/0117'), 'KW-2024/0117');
    const next = layout('Dokument-Kennung', 'KW-2024/0342');
    const fields = extractTextFields(next, 'text');
    expect(fields.invoiceNumber?.value).not.toBe('KW-2024/0342');
    applyLearnedSuppliers(fields, next, 'pt', [profile]);
    expect(fields.invoiceNumber).toMatchObject({ value: 'KW-2024/0342', source: 'learned' });
    expect(fields.invoiceNumber?.confirmedBy).toBeUndefined();
  });
});

describe("the supplier's validated documents confirm its currency, buyer and payment terms", () => {
  const directory = buildDirectory([
    {
      name: 'Muster Lieferant GmbH',
      vat_id: 'DE136695976',
      company_id: null,
      iban: null,
      currency: 'EUR',
      buyer_name: 'Kunde Beispiel s.r.o.',
      invoice_number: 'FV-2024-0017',
      issue_date: '2024-02-01',
      due_date: '2024-02-15',
      validated_at: null,
    },
  ]);
  const next = (due: string, currency = 'EUR', number = 'FV-2024-0042'): Fields => ({
    invoiceNumber: text(number),
    'seller.vatId': text('DE136695976'),
    currency: text(currency),
    'buyer.name': text('KUNDE BEISPIEL S.R.O.'),
    issueDate: text('2024-03-14'),
    dueDate: text(due),
  });

  it('keeps the terms (days from issue to due) of validated documents in the directory', () => {
    expect(directory[0]).toMatchObject({ currencies: ['EUR'], paymentTermsDays: [14] });
  });

  it('confirms a currency and buyer seen before, and dates as far apart as its terms', () => {
    const fields = next('2024-03-28');
    applySupplierDirectory(fields, directory);
    for (const name of ['invoiceNumber', 'currency', 'buyer.name', 'issueDate', 'dueDate'] as const)
      expect(fields[name]?.confirmedBy, name).toBe('supplier');
  });

  it('confirms neither date when their distance is not one of its terms, nor another currency or numbering', () => {
    const fields = next('2024-03-29', 'USD', 'KD-77812');
    applySupplierDirectory(fields, directory);
    for (const name of ['invoiceNumber', 'currency', 'issueDate', 'dueDate'] as const)
      expect(fields[name]?.confirmedBy, name).toBeUndefined();
  });

  it('takes no numbering scheme from numbers of digits only, which any other number on the page shares', () => {
    expect(invoiceNumberShape('RE-20171118/506')).toBe('RE-99999999/999');
    expect(invoiceNumberShape('20240042')).toBe('');
    expect(invoiceNumberShape('A1')).toBe('');
  });
});

describe("the supplier's validated documents confirm a number and dates printed where its layout prints them", () => {
  const at = (value: string, page: number, bbox: [number, number, number, number]): ExtractedField => ({
    value,
    confidence: 0.83,
    source: 'text',
    page,
    bbox,
  });
  const validated = {
    name: 'Muster Lieferant GmbH',
    vat_id: 'DE136695976',
    company_id: null,
    iban: null,
    invoice_number: '280081',
    issue_date: '2024-02-01',
    validated_at: null,
    places: {
      invoiceNumber: {
        value: '280081',
        confidence: 0.87,
        source: 'text',
        page: 1,
        bbox: [400, 120, 440, 130],
      },
      issueDate: {
        value: '2024-02-01',
        confidence: 0.83,
        source: 'text',
        page: 1,
        bbox: [400, 134, 450, 144],
      },
      // A person corrected the due date: the stored value is theirs and has no place.
      dueDate: { value: '2024-02-15', confidence: 1, source: 'user' },
    },
  };
  const directory = buildDirectory([validated]);

  it('keeps the places of the values the text layer gave, not of corrected ones, nor malformed records', () => {
    expect(directory[0]?.places).toEqual({
      invoiceNumber: [{ page: 1, bbox: [400, 120, 440, 130] }],
      issueDate: [{ page: 1, bbox: [400, 134, 450, 144] }],
      dueDate: [],
    });
    for (const places of [
      null,
      'x',
      { issueDate: { source: 'ocr', page: 1, bbox: [1, 2, 3, 4] } },
      { issueDate: { source: 'text', page: 1.5, bbox: [1, 2, 3, 4] } },
      { issueDate: { source: 'text', page: 1, bbox: [1, 2, 3] } },
      { issueDate: { source: 'text', page: 1, bbox: [1, 2, 3, 'x'] } },
    ])
      expect(
        buildDirectory([{ ...validated, places }])[0]?.places?.issueDate,
        JSON.stringify(places),
      ).toEqual([]);
  });

  it('confirms a number of digits only and a date without a due date at the validated place', () => {
    // A longer number in a right-aligned cell: its left edge moved, its right edge did not.
    const fields: Fields = {
      'seller.vatId': text('DE136695976'),
      invoiceNumber: at('1280082', 1, [393.5, 120.4, 440.2, 130.4]),
      issueDate: at('2024-03-14', 1, [401, 133, 451, 143]),
      dueDate: at('2024-03-28', 1, [400, 148, 450, 158]),
    };
    applySupplierDirectory(fields, directory);
    expect(fields.invoiceNumber?.confirmedBy).toBe('supplier');
    expect(fields.issueDate?.confirmedBy).toBe('supplier');
    // No place for the due date: a person corrected it (and the row gives no payment terms).
    expect(fields.dueDate?.confirmedBy).toBeUndefined();
  });

  it('confirms nothing elsewhere on the page, on another page, from OCR pixels or for another supplier', () => {
    const cases: [string, Fields][] = [
      ['another row', { issueDate: at('2024-03-14', 1, [400, 160, 450, 170]) }],
      ['both edges moved', { issueDate: at('2024-03-14', 1, [380, 134, 470, 144]) }],
      ['another page', { issueDate: at('2024-03-14', 2, [400, 134, 450, 144]) }],
      ['OCR', { issueDate: { ...at('2024-03-14', 1, [400, 134, 450, 144]), source: 'ocr' } }],
    ];
    for (const [why, extra] of cases) {
      const fields: Fields = { 'seller.vatId': text('DE136695976'), ...extra };
      applySupplierDirectory(fields, directory);
      expect(fields.issueDate?.confirmedBy, why).toBeUndefined();
    }
    const stranger: Fields = {
      'seller.vatId': text('DE811569869'),
      issueDate: at('2024-03-14', 1, [400, 134, 450, 144]),
    };
    applySupplierDirectory(stranger, directory);
    expect(stranger.issueDate?.confirmedBy).toBeUndefined();
  });
});

describe('a correction', () => {
  it('undoes the confirmation of a value whose check the corrected values no longer pass', () => {
    const engine = finalized({
      'totals.net': text('100.00'),
      'totals.tax': text('21.00'),
      'totals.gross': text('121.00'),
    });
    expect(engine.fields['totals.gross']?.confirmedBy).toBe('totals');
    const corrected = applyCorrections(engine, { 'totals.net': '110.00' });
    if (!('result' in corrected)) throw new Error('refused');
    expect(corrected.result.findings.map((f) => f.code)).toContain('totals_mismatch');
    expect(corrected.result.fields['totals.gross']?.confirmedBy).toBeUndefined();
    // The engine's version is left as it was.
    expect(engine.fields['totals.gross']?.confirmedBy).toBe('totals');
  });
});
