import type { ExtractedField, Finding, InvoiceLine, VatBreakdownRow } from '../types.js';
import { acceptedCode, acceptedWhere, type AcceptedIdentities } from './accepted.js';
import { isValidIco } from './company-id.js';
import { checkIban } from './iban.js';
import { checkDates, checkLineSum, checkTotals, checkVatBreakdown } from './totals.js';
import { checkVatId } from './vat-id.js';

export { checkIban, isValidIban } from './iban.js';
export { checkVatId } from './vat-id.js';
export { isValidIco } from './company-id.js';

type Fields = Partial<Record<string, ExtractedField>>;

/** How much a finding of each severity multiplies the confidence of the field it names. */
const PENALTY = { error: 0.5, warning: 0.8, info: 1 } as const;

/**
 * A format or checksum problem of an identity value, at severity warning, or at info with its own
 * code (`…_accepted_before`) when a person already accepted that very value for the supplier
 * (validate/accepted.ts): the check still says what it found, it is no longer news.
 */
function identityFinding(
  accepted: AcceptedIdentities,
  field: string,
  value: string,
  code: string,
  message: string,
): Finding {
  const where = acceptedWhere(accepted, field, value);
  return where
    ? {
        code: acceptedCode(code),
        severity: 'info',
        field,
        message: `${message}; accepted before: ${value} is the value ${where} hold`,
      }
    : { code, severity: 'warning', field, message };
}

function checkIdentifiers(fields: Fields, accepted: AcceptedIdentities): Finding[] {
  const findings: Finding[] = [];
  const iban = fields['payment.iban']?.value;
  const ibanProblem = iban ? checkIban(iban) : null;
  if (ibanProblem) {
    findings.push({
      code: `iban_invalid_${ibanProblem}`,
      severity: 'error',
      field: 'payment.iban',
      message: `IBAN fails the ${ibanProblem} check`,
    });
  }
  for (const field of ['seller.vatId', 'buyer.vatId']) {
    const vat = fields[field]?.value;
    // Tax ids of countries outside the VAT ID scheme (GSTIN, ABN, EIN, a Malaysian GST number)
    // carry no country prefix and have no rule here: not flagged, as unknown countries are not.
    const problem = vat && /^[A-Z]{2}/.test(vat) ? checkVatId(vat) : null;
    if (vat && problem)
      findings.push(
        identityFinding(
          accepted,
          field,
          vat,
          `vat_id_invalid_${problem}`,
          `VAT ID ${vat} fails the ${problem} check`,
        ),
      );
  }
  const companyId = fields['seller.companyId']?.value;
  const vatId = fields['seller.vatId']?.value ?? '';
  // IČO only applies to Czech and Slovak sellers; elsewhere company IDs have many schemes.
  if (companyId && /^(CZ|SK)/.test(vatId) && /^\d{8}$/.test(companyId) && !isValidIco(companyId)) {
    findings.push(
      identityFinding(
        accepted,
        'seller.companyId',
        companyId,
        'company_id_invalid_checksum',
        `IČO ${companyId} fails the mod-11 check`,
      ),
    );
  }
  return findings;
}

/**
 * Cross-checks an extraction: identifiers, totals, VAT breakdown, lines and dates. Returns the
 * findings and lowers the confidence of the fields they concern; values are never changed.
 * `rulesChecked` says the EN 16931 rules already ran on the XML: their BR-CO-15 is the same
 * net + tax = gross check, so it is not reported twice. `accepted`: identity values a person
 * already accepted for the document's supplier, whose format problems are then info findings.
 */
export function validateExtraction(
  fields: Fields,
  vatBreakdown: VatBreakdownRow[],
  lines: InvoiceLine[],
  rulesChecked = false,
  accepted: AcceptedIdentities = new Map(),
): Finding[] {
  const findings = [
    ...checkIdentifiers(fields, accepted),
    ...(rulesChecked ? [] : checkTotals(fields)),
    ...checkVatBreakdown(fields, vatBreakdown),
    ...checkLineSum(vatBreakdown, lines),
    ...checkDates(fields),
  ];
  for (const finding of findings) {
    const field = finding.field ? fields[finding.field] : undefined;
    if (field) field.confidence = round2(field.confidence * PENALTY[finding.severity]);
  }
  return findings;
}

export function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
