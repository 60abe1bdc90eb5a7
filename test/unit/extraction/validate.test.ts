import { describe, expect, it } from 'vitest';
import { checkIban, checkVatId, isValidIco } from '../../../src/extraction/validate/index.js';
import { validateExtraction } from '../../../src/extraction/validate/index.js';
import type { ExtractedField } from '../../../src/extraction/types.js';

const f = (value: string): ExtractedField => ({ value, confidence: 0.9, source: 'text' });

describe('IBAN', () => {
  it('accepts valid IBANs and names the failing check otherwise', () => {
    expect(checkIban('DE02120300000000202051')).toBeNull();
    expect(checkIban('CZ6508000000192000145399')).toBeNull();
    expect(checkIban('DE02120300000000202052')).toBe('checksum');
    expect(checkIban('DE0212030000000020205')).toBe('length');
    expect(checkIban('QQ02120300000000202051')).toBe('country');
  });
});

describe('VAT IDs', () => {
  it.each([
    'DE136695976',
    'ATU13585627',
    'CZ25596641',
    'SK2020317068',
    'PL5260250274',
    'EE100931558',
    'FR11999999998',
    'IT00743110157',
    'NL004495445B01',
    'BE0477472701',
  ])('accepts %s', (id) => expect(checkVatId(id)).toBeNull());
  it.each([
    ['DE123456789', 'checksum'],
    ['PL5260250275', 'checksum'],
    ['ATU1358562', 'format'],
    ['CZ25596642', 'checksum'],
  ])('flags %s (%s)', (id, problem) => expect(checkVatId(id)).toBe(problem));
});

describe('IČO', () => {
  it('checks the mod-11 digit', () => {
    expect(isValidIco('25596641')).toBe(true);
    expect(isValidIco('25596642')).toBe(false);
  });
});

describe('validateExtraction', () => {
  it('reports totals that do not add up and lowers confidence without changing the value', () => {
    const fields = { 'totals.net': f('100.00'), 'totals.tax': f('21.00'), 'totals.gross': f('122.00') };
    const findings = validateExtraction(fields, [], []);
    expect(findings.map((x) => x.code)).toContain('totals_mismatch');
    expect(fields['totals.gross'].value).toBe('122.00');
    expect(fields['totals.gross'].confidence).toBeLessThan(0.9);
  });

  it('accepts totals within 0.01 and a consistent VAT breakdown', () => {
    const fields = { 'totals.net': f('100.00'), 'totals.tax': f('21.00'), 'totals.gross': f('121.01') };
    const rows = [{ rate: '21.00', base: '100.00', tax: '21.00' }];
    expect(validateExtraction(fields, rows, [{ netAmount: '100.00' }])).toEqual([]);
  });

  it('flags a due date before the issue date, a bad IBAN and a VAT row that does not fit its rate', () => {
    const fields = {
      issueDate: f('2024-03-14'),
      dueDate: f('2024-03-01'),
      'payment.iban': f('DE02120300000000202052'),
    };
    const codes = validateExtraction(fields, [{ rate: '21', base: '100.00', tax: '19.00' }], []).map(
      (x) => x.code,
    );
    expect(codes).toEqual(
      expect.arrayContaining(['due_before_issue', 'iban_invalid_checksum', 'vat_row_mismatch']),
    );
  });
});
