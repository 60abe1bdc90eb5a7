/**
 * What a person already accepted for a supplier no longer blocks its next document: a VAT ID or
 * company id that fails its check, but is exactly the value the supplier's validated documents or
 * its profile hold, is an info finding (`…_accepted_before`) that keeps the value's confirmation;
 * another invalid value is still a warning, and an IBAN that fails its checksum is still an error.
 * A payment reference made out to the invoice number is confirmed for a supplier whose validated
 * references are its invoice numbers.
 */
import { describe, expect, it } from 'vitest';
import { applyCorrections } from '../../../src/extraction/corrections.js';
import { finalizeResult } from '../../../src/extraction/finalize.js';
import { applyLearnedSuppliers } from '../../../src/extraction/hints/apply.js';
import type { LearnedSupplier } from '../../../src/extraction/hints/types.js';
import { applySupplierDirectory, type KnownSupplier } from '../../../src/extraction/suppliers/directory.js';
import { extractTextFields } from '../../../src/extraction/text/text-fields.js';
import type { ExtractedField, ExtractionResult, FieldName } from '../../../src/extraction/types.js';
import { accept, type AcceptedIdentities } from '../../../src/extraction/validate/accepted.js';
import { validateExtraction } from '../../../src/extraction/validate/index.js';
import { buildDirectory } from '../../../src/modules/extractions/extractions.suppliers.js';
import { wordsOf } from './fixtures/word-layout.js';

type Fields = Partial<Record<FieldName, ExtractedField>>;
const text = (value: string, confidence = 0.9): ExtractedField => ({ value, confidence, source: 'text' });

/** Test placeholders whose check digits are wrong (ISO 7064 MOD 11,10). */
const PLACEHOLDER_VAT = 'DE123456789';
const OTHER_INVALID_VAT = 'DE234567891';

/** The engine's last steps on `fields`, with what the directory knows of the supplier. */
function extracted(fields: Fields, suppliers: KnownSupplier[]): ExtractionResult {
  const accepted: AcceptedIdentities = new Map();
  const findings = applySupplierDirectory(fields, suppliers, accepted);
  return finalizeResult(
    { documentType: 'invoice', format: 'pdf-text', fields, vatBreakdown: [], lines: [], findings },
    { totalMs: 1 },
    { calibrate: false, accepted },
  );
}

const findingsOn = (result: ExtractionResult, field: string) =>
  result.findings.filter((f) => f.field === field).map((f) => [f.code, f.severity]);

describe('a format or checksum problem of a value accepted before', () => {
  const directory: KnownSupplier[] = [
    { name: 'Bei Spiel GmbH', vatId: PLACEHOLDER_VAT, buyerVatIds: ['DE999999999'], documents: 1 },
  ];

  it('is an info finding of its own code when the value is the one the supplier was validated with, and keeps its confirmation', () => {
    const result = extracted(
      {
        'seller.name': text('Bei Spiel GmbH'),
        'seller.vatId': text(PLACEHOLDER_VAT),
        'buyer.vatId': text('DE999999999'),
      },
      directory,
    );
    expect(findingsOn(result, 'seller.vatId')).toEqual([['vat_id_invalid_checksum_accepted_before', 'info']]);
    expect(findingsOn(result, 'buyer.vatId')).toEqual([['vat_id_invalid_checksum_accepted_before', 'info']]);
    expect(result.findings.find((f) => f.field === 'seller.vatId')?.message).toMatch(
      /fails the checksum check; accepted before: DE123456789 is the value the validated documents of Bei Spiel GmbH hold/,
    );
    // The printed VAT ID is the supplier's known one: confirmed, and not lowered by the finding.
    expect(result.fields['seller.vatId']).toMatchObject({ confirmedBy: 'supplier' });
    expect(result.fields['seller.vatId']!.confidence).toBeGreaterThanOrEqual(0.9);
  });

  it('is still a warning for another invalid value, and undoes that value’s confirmation', () => {
    const result = extracted(
      {
        'seller.name': text('Bei Spiel GmbH'),
        'seller.vatId': text(PLACEHOLDER_VAT),
        'buyer.vatId': text(OTHER_INVALID_VAT),
      },
      directory,
    );
    expect(findingsOn(result, 'buyer.vatId')).toEqual([['vat_id_invalid_checksum', 'warning']]);
    // A supplier whose validated documents carry another VAT ID: its printed placeholder is news.
    const other = extracted(
      { 'seller.name': text('Bei Spiel GmbH'), 'seller.vatId': text(OTHER_INVALID_VAT) },
      [{ ...directory[0]!, vatId: 'DE136695976' }],
    );
    expect(findingsOn(other, 'seller.vatId')).toEqual(
      expect.arrayContaining([['vat_id_invalid_checksum', 'warning']]),
    );
    expect(other.fields['seller.vatId']?.confirmedBy).toBeUndefined();
  });

  it('is nothing without a matched supplier: an empty directory accepts nothing', () => {
    const result = extracted({ 'seller.vatId': text(PLACEHOLDER_VAT) }, []);
    expect(findingsOn(result, 'seller.vatId')).toEqual([['vat_id_invalid_checksum', 'warning']]);
  });

  it('never settles an IBAN that fails its checksum: it stays an error', () => {
    const accepted: AcceptedIdentities = new Map();
    accept(accepted, 'seller.vatId', PLACEHOLDER_VAT, 'the validated documents of Bei Spiel GmbH');
    const findings = validateExtraction(
      { 'seller.vatId': text(PLACEHOLDER_VAT), 'payment.iban': text('DE12123456789012345678') },
      [],
      [],
      false,
      accepted,
    );
    expect(findings.map((f) => [f.code, f.severity])).toEqual([
      ['iban_invalid_checksum', 'error'],
      ['vat_id_invalid_checksum_accepted_before', 'info'],
    ]);
  });

  it('accepts the buyer VAT ID a profile holds only for the buyer it was entered for', () => {
    const words = wordsOf([
      [40, 40, 'Bei Spiel GmbH'],
      [40, 64, `USt-IdNr. ${PLACEHOLDER_VAT}`],
      [320, 70, 'Rechnungsnummer: RE-2024/17'],
      [40, 140, 'Kunde: Theodor Est'],
    ]);
    const profile: LearnedSupplier = {
      name: 'Bei Spiel GmbH',
      vatId: PLACEHOLDER_VAT,
      ibans: [],
      hints: [],
      constants: { 'buyer.vatId': 'DE999999999', forBuyer: 'Theodor Est' },
    };
    const run = (buyer: string, printedBuyerVat?: string) => {
      const fields = extractTextFields(words, 'text');
      fields['buyer.name'] = text(buyer);
      if (printedBuyerVat) fields['buyer.vatId'] = text(printedBuyerVat);
      const accepted: AcceptedIdentities = new Map();
      const findings = applyLearnedSuppliers(fields, words, 'pt', [profile], accepted);
      return finalizeResult(
        { documentType: 'invoice', format: 'pdf-text', fields, vatBreakdown: [], lines: [], findings },
        { totalMs: 1 },
        { calibrate: false, accepted },
      );
    };
    // The buyer it was entered for: the profile fills it (the page prints none), and its check
    // digit problem was accepted when a person entered it.
    const forBuyer = run('Theodor Est');
    expect(findingsOn(forBuyer, 'seller.vatId')).toEqual([
      ['vat_id_invalid_checksum_accepted_before', 'info'],
    ]);
    expect(findingsOn(forBuyer, 'buyer.vatId')).toEqual([
      ['filled_from_supplier_profile', 'info'],
      ['vat_id_invalid_checksum_accepted_before', 'info'],
    ]);
    expect(
      forBuyer.findings.find((f) => f.code.endsWith('_accepted_before') && f.field === 'buyer.vatId')
        ?.message,
    ).toContain('the corrections learned for Bei Spiel GmbH');
    // Another of the firm's clients printing the same placeholder: not what was accepted for it.
    const otherBuyer = run('Papierhaus Schulz KG', 'DE999999999');
    expect(findingsOn(otherBuyer, 'buyer.vatId')).toEqual([['vat_id_invalid_checksum', 'warning']]);
  });

  it('stays accepted after a correction of another field, and is checked afresh when the value is corrected', () => {
    const result = extracted(
      {
        'seller.name': text('Bei Spiel GmbH'),
        'seller.vatId': text(PLACEHOLDER_VAT),
        invoiceNumber: text('1'),
      },
      directory,
    );
    const other = applyCorrections(result, { invoiceNumber: 'RE-2024/18' });
    if (!('result' in other)) throw new Error('refused');
    expect(findingsOn(other.result, 'seller.vatId')).toEqual([
      ['vat_id_invalid_checksum_accepted_before', 'info'],
    ]);
    const changed = applyCorrections(result, { 'seller.vatId': OTHER_INVALID_VAT });
    if (!('result' in changed)) throw new Error('refused');
    expect(findingsOn(changed.result, 'seller.vatId')).toEqual([['vat_id_invalid_checksum', 'warning']]);
  });
});

describe("a payment reference in the supplier's scheme", () => {
  const row = (reference: string | null, number = 'RE-20240117/501') => ({
    name: 'Bei Spiel GmbH',
    vat_id: 'DE136695976',
    company_id: null,
    iban: null,
    invoice_number: number,
    payment_reference: reference,
    validated_at: null,
  });
  const next = (): Fields => ({
    invoiceNumber: text('RE-20240342/512'),
    'seller.vatId': text('DE136695976'),
    'payment.iban': text('DE02120300000000202051'),
    // The text rules' reference when none is printed: the invoice number, at 0.5.
    'payment.reference': text('RE-20240342/512', 0.5),
  });

  it('is confirmed when the validated references were the invoice numbers', () => {
    const directory = buildDirectory([row('RE-20240117/501'), row(null, 'RE-20240201/502')]);
    expect(directory[0]).toMatchObject({ referenceIsInvoiceNumber: true });
    const fields = next();
    applySupplierDirectory(fields, directory);
    expect(fields.invoiceNumber?.confirmedBy).toBe('supplier');
    expect(fields['payment.reference']?.confirmedBy).toBe('supplier');
  });

  it('is not confirmed for a supplier with another reference, nor without a confirmed number', () => {
    const mixed = buildDirectory([row('RE-20240117/501'), row('VS 4711', 'RE-20240201/502')]);
    expect(mixed[0]).toMatchObject({ referenceIsInvoiceNumber: false });
    const fields = next();
    applySupplierDirectory(fields, mixed);
    expect(fields['payment.reference']?.confirmedBy).toBeUndefined();
    // Another numbering scheme: the number is unconfirmed, so the reference made of it is too.
    const scheme = buildDirectory([row('2024-17', '2024-17')]);
    const unconfirmed = next();
    applySupplierDirectory(unconfirmed, scheme);
    expect(unconfirmed.invoiceNumber?.confirmedBy).toBeUndefined();
    expect(unconfirmed['payment.reference']?.confirmedBy).toBeUndefined();
    // No reference on the validated documents: nothing is known of the scheme.
    expect(buildDirectory([row(null)])[0]).toMatchObject({ referenceIsInvoiceNumber: false });
  });
});
