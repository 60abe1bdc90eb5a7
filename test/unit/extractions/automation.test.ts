/**
 * The `confident` rule as a pure decision: every required field present, every extracted field at
 * or above the threshold, no warning or error finding (named in the reason), enough validated
 * documents of the supplier, and never a duplicate, however confident.
 */
import { describe, expect, it } from 'vitest';
import type { ExtractedField, ExtractionResult, Finding } from '../../../src/extraction/model.js';
import { decideAutomation } from '../../../src/modules/extractions/extractions.automation.js';

const sure = (value: string): ExtractedField => ({ value, confidence: 0.996, source: 'text' });
const CONFIDENT = { level: 'confident', threshold: 0.99, minValidated: 1, changedAt: null } as const;

function result(fields: ExtractionResult['fields'], findings: Finding[] = []): ExtractionResult {
  return {
    documentType: 'invoice',
    format: 'pdf-text',
    fields,
    vatBreakdown: [],
    lines: [],
    findings,
    needsReview: false,
    timings: { totalMs: 1 },
  };
}

const CLEAN = {
  invoiceNumber: sure('2024-017'),
  issueDate: sure('2024-03-14'),
  currency: sure('EUR'),
  'seller.vatId': sure('DE136695976'),
  'totals.net': { ...sure('100.00'), confirmedBy: 'totals' as const },
  'totals.tax': { ...sure('19.00'), confirmedBy: 'totals' as const },
  'totals.gross': { ...sure('119.00'), confirmedBy: 'totals' as const },
};
const KNOWN = { duplicateOf: null, supplierValidated: 1 };

describe('decideAutomation at confident', () => {
  it('validates a clean document whose every field is at the threshold, of a supplier with history', () => {
    expect(decideAutomation(CONFIDENT, result(CLEAN), KNOWN)).toEqual({
      automate: true,
      rule: { level: 'confident', threshold: 0.99, minValidated: 1, supplierValidated: 1 },
    });
  });

  it('never validates a duplicate, even with every field confirmed', () => {
    const decision = decideAutomation(CONFIDENT, result(CLEAN), { ...KNOWN, duplicateOf: 'doc-1' });
    expect(decision).toEqual({ automate: false, reason: 'a duplicate of doc-1' });
    expect(
      decideAutomation({ ...CONFIDENT, level: 'always' }, result(CLEAN), { ...KNOWN, duplicateOf: 'doc-1' })
        .automate,
    ).toBe(false);
  });

  it('keeps a document with a warning or error finding, naming the findings', () => {
    const warning: Finding = {
      code: 'due_before_issue',
      severity: 'warning',
      field: 'dueDate',
      message: 'm',
    };
    expect(decideAutomation(CONFIDENT, result(CLEAN, [warning]), KNOWN)).toEqual({
      automate: false,
      reason: 'a warning finding (due_before_issue)',
    });
    const error: Finding = { code: 'totals_mismatch', severity: 'error', message: 'm' };
    expect(decideAutomation(CONFIDENT, result(CLEAN, [error, warning]), KNOWN)).toEqual({
      automate: false,
      reason: 'an error finding (totals_mismatch)',
    });
  });

  it('keeps a document when any extracted field, required or not, is below the threshold', () => {
    const weakOptional = { ...CLEAN, 'buyer.name': { ...sure('Kunde AG'), confidence: 0.98 } };
    expect(decideAutomation(CONFIDENT, result(weakOptional), KNOWN)).toEqual({
      automate: false,
      reason: 'buyer.name is below the threshold (0.98)',
    });
  });

  it('keeps a document with a required field missing or a supplier with too few validated documents', () => {
    const { invoiceNumber: _, ...withoutNumber } = CLEAN;
    expect(decideAutomation(CONFIDENT, result(withoutNumber), KNOWN)).toEqual({
      automate: false,
      reason: 'invoiceNumber is missing',
    });
    expect(decideAutomation(CONFIDENT, result(CLEAN), { ...KNOWN, supplierValidated: 0 }).automate).toBe(
      false,
    );
  });

  describe('values the supplier profile filled where the page prints none', () => {
    const filled = (field: string): Finding => ({
      code: 'filled_from_supplier_profile',
      severity: 'info',
      field,
      message: 'm',
    });
    const fill = (value: string): ExtractedField => ({ value, confidence: 0.75, source: 'learned' });

    it('are not held to the threshold: they are the firm’s master data, not a reading', () => {
      const fields = { ...CLEAN, 'buyer.vatId': fill('DE999999999') };
      expect(decideAutomation(CONFIDENT, result(fields, [filled('buyer.vatId')]), KNOWN).automate).toBe(true);
    });

    it('still are when the value has a place on the page or no fill finding: then it was read', () => {
      const read = {
        ...CLEAN,
        'buyer.vatId': { ...fill('DE999999999'), bbox: [1, 2, 3, 4] as [number, number, number, number] },
      };
      expect(decideAutomation(CONFIDENT, result(read, [filled('buyer.vatId')]), KNOWN)).toEqual({
        automate: false,
        reason: 'buyer.vatId is below the threshold (0.75)',
      });
      const unmarked = { ...CLEAN, 'buyer.vatId': fill('DE999999999') };
      expect(decideAutomation(CONFIDENT, result(unmarked), KNOWN).automate).toBe(false);
    });

    it('still are for a required field (the currency): what is booked and paid is read from the document', () => {
      const fields = { ...CLEAN, currency: fill('EUR') };
      expect(decideAutomation(CONFIDENT, result(fields, [filled('currency')]), KNOWN)).toEqual({
        automate: false,
        reason: 'currency is below the threshold (0.75)',
      });
    });

    it('never let a duplicate, an error or a warning through', () => {
      const fields = { ...CLEAN, 'buyer.vatId': fill('DE999999999') };
      const findings = [filled('buyer.vatId')];
      expect(
        decideAutomation(CONFIDENT, result(fields, findings), { ...KNOWN, duplicateOf: 'doc-1' }).automate,
      ).toBe(false);
      const warning: Finding = {
        code: 'vat_id_invalid_checksum',
        severity: 'warning',
        field: 'buyer.vatId',
        message: 'm',
      };
      expect(decideAutomation(CONFIDENT, result(fields, [...findings, warning]), KNOWN).automate).toBe(false);
      // Accepted on an earlier validated document: an info finding, which does not block.
      const accepted: Finding = {
        ...warning,
        code: 'vat_id_invalid_checksum_accepted_before',
        severity: 'info',
      };
      expect(decideAutomation(CONFIDENT, result(fields, [...findings, accepted]), KNOWN).automate).toBe(true);
    });
  });
});
