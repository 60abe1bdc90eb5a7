import { sameAmount } from '../fields/amount.js';
import type { ExtractedField, FieldName, Finding } from '../types.js';
import type { PaymentCode } from './payment-codes.js';

/** A payment QR code is machine-written: exact, but only about what is to be paid. */
const QR_CONFIDENCE = 0.97;

type Fields = Partial<Record<FieldName, ExtractedField>>;

function agrees(name: FieldName, a: string, b: string): boolean {
  return name.startsWith('totals.')
    ? sameAmount(a, b)
    : a.replace(/\s+/g, '').toUpperCase() === b.replace(/\s+/g, '').toUpperCase();
}

/**
 * Merges a payment code into page-derived fields. Agreement raises confidence; disagreement is a
 * finding and the QR value wins for payment data (it is what the bank will execute).
 */
export function mergePaymentCode(fields: Fields, code: PaymentCode, page?: number): Finding[] {
  const findings: Finding[] = [];
  const entries = Object.entries(code).filter(([k]) => k !== 'kind') as Array<[FieldName, string]>;
  for (const [name, value] of entries) {
    const existing = fields[name];
    const qrField: ExtractedField = {
      value,
      confidence: QR_CONFIDENCE,
      source: 'qr',
      ...(page ? { page } : {}),
    };
    if (!existing) fields[name] = qrField;
    else if (agrees(name, existing.value, value))
      existing.confidence = Math.max(existing.confidence, QR_CONFIDENCE);
    else {
      findings.push({
        code: 'qr_mismatch',
        severity: 'warning',
        field: name,
        message: `${code.kind} QR code says ${name} = ${value}, the page says ${existing.value}`,
      });
      // The creditor named by the code replaces a doubtful reading of the page (a letterhead
      // OCR'd with errors); a sure one stays, with the finding.
      const weakName = name === 'seller.name' && existing.confidence < 0.7;
      if (name.startsWith('payment.') || name === 'totals.due' || weakName) fields[name] = qrField;
    }
  }
  const gross = fields['totals.gross'];
  if (code['totals.due'] && gross && gross.source !== 'qr' && sameAmount(gross.value, code['totals.due'])) {
    gross.confidence = Math.max(gross.confidence, 0.95);
  }
  return findings;
}
