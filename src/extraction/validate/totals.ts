import { toMinorUnits } from '../fields/amount.js';
import type { ExtractedField, Finding, InvoiceLine, VatBreakdownRow } from '../types.js';

type Fields = Partial<Record<string, ExtractedField>>;

const TOLERANCE = 1n; // 0.01 in minor units

const minor = (f: ExtractedField | undefined): bigint | null => (f ? toMinorUnits(f.value) : null);

function abs(v: bigint): bigint {
  return v < 0n ? -v : v;
}

/** net + tax = gross (within 0.01). */
export function checkTotals(fields: Fields): Finding[] {
  const net = minor(fields['totals.net']);
  const tax = minor(fields['totals.tax']);
  const gross = minor(fields['totals.gross']);
  if (net === null || tax === null || gross === null) return [];
  if (abs(net + tax - gross) <= TOLERANCE) return [];
  return [
    {
      code: 'totals_mismatch',
      severity: 'error',
      field: 'totals.gross',
      message: `net ${fields['totals.net']?.value} + tax ${fields['totals.tax']?.value} != gross ${fields['totals.gross']?.value}`,
    },
  ];
}

/** The VAT breakdown rows add up to the net and tax totals; each row's tax fits its rate. */
export function checkVatBreakdown(fields: Fields, rows: VatBreakdownRow[]): Finding[] {
  if (rows.length === 0) return [];
  const findings: Finding[] = [];
  const baseSum = rows.reduce((s, r) => s + toMinorUnits(r.base), 0n);
  const taxSum = rows.reduce((s, r) => s + toMinorUnits(r.tax), 0n);
  const net = minor(fields['totals.net']);
  const tax = minor(fields['totals.tax']);
  if (net !== null && abs(baseSum - net) > TOLERANCE * BigInt(rows.length)) {
    findings.push({
      code: 'vat_base_sum_mismatch',
      severity: 'warning',
      field: 'totals.net',
      message: 'VAT breakdown bases do not add up to the net total',
    });
  }
  if (tax !== null && abs(taxSum - tax) > TOLERANCE * BigInt(rows.length)) {
    findings.push({
      code: 'vat_tax_sum_mismatch',
      severity: 'warning',
      field: 'totals.tax',
      message: 'VAT breakdown taxes do not add up to the tax total',
    });
  }
  for (const row of rows) {
    // rate in hundredths of a percent; expected tax = base * rate / 100, compared within 1 unit per row.
    const expected = (toMinorUnits(row.base) * toMinorUnits(row.rate)) / 10000n;
    if (abs(expected - toMinorUnits(row.tax)) > 2n) {
      findings.push({
        code: 'vat_row_mismatch',
        severity: 'warning',
        message: `VAT row ${row.rate} %: tax ${row.tax} does not match base ${row.base}`,
      });
    }
  }
  return findings;
}

/** Line net amounts add up to the VAT bases (only when every line has a net amount). */
export function checkLineSum(rows: VatBreakdownRow[], lines: InvoiceLine[]): Finding[] {
  if (lines.length === 0 || rows.length === 0 || lines.some((l) => l.netAmount === undefined)) return [];
  const lineSum = lines.reduce((s, l) => s + toMinorUnits(l.netAmount ?? '0'), 0n);
  const baseSum = rows.reduce((s, r) => s + toMinorUnits(r.base), 0n);
  // Document-level allowances and charges legitimately separate the two; a warning, not an error.
  if (abs(lineSum - baseSum) <= TOLERANCE * BigInt(lines.length)) return [];
  return [
    {
      code: 'line_sum_mismatch',
      severity: 'info',
      message: 'invoice lines do not add up to the VAT bases (allowances or charges?)',
    },
  ];
}

/** The due date is not before the issue date. */
export function checkDates(fields: Fields): Finding[] {
  const issue = fields['issueDate']?.value;
  const due = fields['dueDate']?.value;
  if (!issue || !due || due >= issue) return [];
  return [
    {
      code: 'due_before_issue',
      severity: 'warning',
      field: 'dueDate',
      message: `due date ${due} is before issue date ${issue}`,
    },
  ];
}
