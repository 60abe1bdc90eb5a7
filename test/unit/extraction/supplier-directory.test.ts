import { describe, expect, it } from 'vitest';
import { extractInvoice } from '../../../src/extraction/index.js';
import {
  applySupplierDirectory,
  matchSupplier,
  nameSimilarity,
  type KnownSupplier,
} from '../../../src/extraction/suppliers/directory.js';
import type { ExtractedField, FieldName } from '../../../src/extraction/types.js';
import { SAMPLE } from './fixtures/invoice-model.js';
import { ublXml } from './fixtures/xml-fixtures.js';

const field = (value: string, confidence = 0.9): ExtractedField => ({ value, confidence, source: 'ocr' });
type Fields = Partial<Record<FieldName, ExtractedField>>;

const KNOWN: KnownSupplier[] = [
  { name: 'Other Supplier AG', vatId: 'DE811907980', ibans: ['DE89370400440532013000'], documents: 3 },
  {
    name: 'Muster Lieferant GmbH',
    vatId: 'DE136695976',
    companyId: 'HRB 12345',
    ibans: ['DE02120300000000202051'],
    documents: 4,
  },
];

describe('supplier directory matching', () => {
  it('matches by VAT ID, company id, IBAN and a close name, in that order', () => {
    expect(matchSupplier({ 'seller.vatId': field('DE 136 695 976') }, KNOWN)?.by).toBe('vatId');
    expect(matchSupplier({ 'seller.companyId': field('HRB12345') }, KNOWN)?.by).toBe('companyId');
    expect(matchSupplier({ 'payment.iban': field('DE02120300000000202051') }, KNOWN)?.by).toBe('iban');
    const byName = matchSupplier({ 'seller.name': field('MUSTER-LIEFERANT G.m.b.H') }, KNOWN);
    expect(byName).toMatchObject({ by: 'name', supplier: { vatId: 'DE136695976' } });
    expect(matchSupplier({ 'seller.name': field('Muster Bäckerei GmbH') }, KNOWN)).toBeNull();
  });

  it('does not match a close name whose printed VAT ID belongs to someone else', () => {
    const fields: Fields = {
      'seller.name': field('Muster Lieferant GmbH'),
      'seller.vatId': field('DE999999999'),
    };
    expect(matchSupplier(fields, KNOWN)).toBeNull();
  });

  it('scores names without legal form, case and diacritics', () => {
    expect(nameSimilarity('Žluťoučký kůň s.r.o.', 'ZLUTOUCKY KUN')).toBe(1);
    expect(nameSimilarity('Muster Lieferant GmbH', 'Muster Lieferung GmbH')).toBeLessThan(0.88);
  });

  it('fills what the page did not give as learned and raises doubtful readings', () => {
    const fields: Fields = {
      'seller.name': field('MUSTER LIEFERANT GMBH', 0.5),
      'seller.companyId': field('HRB 12345'),
    };
    const findings = applySupplierDirectory(fields, KNOWN);
    expect(fields['seller.vatId']).toMatchObject({ value: 'DE136695976', source: 'learned' });
    expect(fields['seller.vatId']!.confidence).toBeGreaterThanOrEqual(0.9);
    // The same name read doubtfully is confirmed, not replaced.
    expect(fields['seller.name']).toMatchObject({ value: 'MUSTER LIEFERANT GMBH', source: 'ocr' });
    expect(fields['seller.name']!.confidence).toBeGreaterThanOrEqual(0.9);
    // A VAT ID the page lacks is filled but not marked as the firm's data: an invoice without it
    // fails the tax checks, so the automation holds it to its threshold. The name read doubtfully
    // is no fill either.
    expect(findings).toEqual([expect.objectContaining({ code: 'supplier_known', severity: 'info' })]);
  });

  it('marks the name and company id the page lacks as the firm’s data, found by an identifier the page prints', () => {
    const fields: Fields = { 'seller.vatId': field('DE136695976') };
    const findings = applySupplierDirectory(fields, KNOWN);
    expect(fields['seller.companyId']).toMatchObject({ value: 'HRB 12345', source: 'learned' });
    expect(findings.filter((f) => f.code === 'filled_from_supplier_profile').map((f) => f.field)).toEqual([
      'seller.name',
      'seller.companyId',
    ]);
  });

  it('marks no fill of a supplier matched by a likeness of names, nor a doubtful reading it replaced', () => {
    const byName: Fields = { 'seller.name': field('Muster Lieferant GmbH') };
    const findings = applySupplierDirectory(byName, KNOWN);
    expect(byName['seller.vatId']).toMatchObject({ value: 'DE136695976', source: 'learned' });
    expect(findings.map((f) => f.code)).toEqual(['supplier_known']);
    const doubtful: Fields = { 'seller.companyId': field('HRB 12345'), 'seller.vatId': field('DE1366', 0.4) };
    const replaced = applySupplierDirectory(doubtful, KNOWN);
    expect(doubtful['seller.vatId']).toMatchObject({ value: 'DE136695976', source: 'learned' });
    // Only the name the page lacks is marked; the replaced VAT ID reading is not.
    expect(replaced.filter((f) => f.code === 'filled_from_supplier_profile').map((f) => f.field)).toEqual([
      'seller.name',
    ]);
  });

  it('reports a changed IBAN as an error and a different VAT ID as a warning', () => {
    const fields: Fields = {
      'seller.companyId': field('HRB 12345'),
      'seller.vatId': field('DE811907980'),
      'payment.iban': field('CZ6508000000192000145399'),
    };
    const codes = applySupplierDirectory(fields, KNOWN).map((f) => [f.code, f.severity]);
    expect(codes).toContainEqual(['supplier_iban_changed', 'error']);
    expect(codes).not.toContainEqual(['supplier_vat_id_mismatch', 'warning']);
    // Matched by VAT ID first (the other supplier), whose company id is unknown: only the IBAN.
    const byCompany: Fields = {
      'seller.companyId': field('HRB 12345'),
      'seller.vatId': field('DE000000000'),
      'payment.iban': field('DE02120300000000202051'),
    };
    expect(applySupplierDirectory(byCompany, KNOWN).map((f) => f.code)).toContain('supplier_vat_id_mismatch');
  });

  it('runs inside extract(): a known supplier asking for another IBAN needs review', async () => {
    const xml = new TextEncoder().encode(ublXml({ ...SAMPLE, iban: 'CZ6508000000192000145399' }));
    const clean = await extractInvoice({ bytes: xml });
    expect(clean.needsReview).toBe(false);
    const checked = await extractInvoice({ bytes: xml }, { suppliers: KNOWN });
    expect(checked.findings).toContainEqual(
      expect.objectContaining({ code: 'supplier_iban_changed', severity: 'error', field: 'payment.iban' }),
    );
    expect(checked.needsReview).toBe(true);
  });
});
