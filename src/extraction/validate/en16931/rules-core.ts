import type { Finding } from '../../types.js';
import {
  COUNTRIES,
  CREDIT_NOTE_TYPE_CODES,
  CURRENCIES,
  INVOICE_TYPE_CODES,
  PAYMENT_MEANS,
  UNIT_CODE_SHAPE,
  UNIT_CODES,
  VAT_CATEGORIES,
} from './code-lists/index.js';
import { violation } from './finding.js';
import { billedLines, isPartialProfile, type RuleInvoice, type RuleLine } from './model.js';

/** BR-02..BR-16: the business terms every invoice must carry (fewer in MINIMUM / BASIC WL). */
export function checkMandatory(inv: RuleInvoice): Finding[] {
  const partial = isPartialProfile(inv.profile);
  const required: Array<[string, unknown, string, boolean?]> = [
    ['BR-02', inv.number, 'the invoice number (BT-1) is missing'],
    ['BR-03', inv.issueDate, 'the issue date (BT-2) is missing'],
    ['BR-04', inv.typeCode, 'the invoice type code (BT-3) is missing'],
    ['BR-05', inv.currency, 'the invoice currency (BT-5) is missing'],
    ['BR-06', inv.seller.name, 'the seller name (BT-27) is missing'],
    ['BR-07', inv.buyer.name, 'the buyer name (BT-44) is missing'],
    ['BR-08', inv.seller.hasAddress, 'the seller postal address (BG-5) is missing', partial],
    ['BR-09', inv.seller.country, 'the seller country code (BT-40) is missing', partial],
    ['BR-10', inv.buyer.hasAddress, 'the buyer postal address (BG-8) is missing', partial],
    ['BR-11', inv.buyer.country, 'the buyer country code (BT-55) is missing', partial],
    [
      'BR-12',
      inv.totals.lineTotal,
      'the sum of line net amounts (BT-106) is missing',
      inv.profile === 'minimum',
    ],
    ['BR-13', inv.totals.taxBasis, 'the total without VAT (BT-109) is missing'],
    ['BR-14', inv.totals.grandTotal, 'the total with VAT (BT-112) is missing'],
    ['BR-15', inv.totals.due, 'the amount due (BT-115) is missing'],
    ['BR-16', inv.lines.length > 0, 'the invoice has no lines (BG-25)', partial],
  ];
  return required
    .filter(([, value, , skip]) => !skip && (value === undefined || value === false || value === ''))
    .map(([rule, , message]) => violation(rule, message));
}

function checkLine(line: RuleLine, index: number): Finding[] {
  const which = `line ${line.id ?? index + 1}`;
  const required: Array<[string, string | undefined, string]> = [
    ['BR-21', line.id, 'has no line identifier (BT-126)'],
    ['BR-22', line.quantity, 'has no invoiced quantity (BT-129)'],
    ['BR-23', line.unitCode, 'has no unit of measure (BT-130)'],
    ['BR-24', line.net, 'has no net amount (BT-131)'],
    ['BR-25', line.name, 'has no item name (BT-153)'],
    ['BR-26', line.price, 'has no item net price (BT-146)'],
  ];
  const findings = required.filter(([, v]) => !v).map(([rule, , m]) => violation(rule, `${which} ${m}`));
  if (line.price?.trim().startsWith('-'))
    findings.push(violation('BR-27', `${which}: the item net price ${line.price} is negative`));
  // The unit list is partial (code-lists/rec20-units.ts): only a malformed code is an error.
  if (line.unitCode && !UNIT_CODES.has(line.unitCode))
    findings.push(
      violation(
        'BR-CL-23',
        `${which}: unit code "${line.unitCode}" is not a UN/ECE Rec 20/21 code`,
        UNIT_CODE_SHAPE.test(line.unitCode) ? 'warning' : 'error',
      ),
    );
  if (line.category && !VAT_CATEGORIES.has(line.category))
    findings.push(violation('BR-CL-18', `${which}: VAT category "${line.category}" is not in UNTDID 5305`));
  return findings;
}

/** BR-21..BR-27 on every line; partial profiles carry no lines, so nothing to check there. */
export function checkLines(inv: RuleInvoice): Finding[] {
  if (isPartialProfile(inv.profile)) {
    return inv.lines.length > 0
      ? [violation('profile', `the ${inv.profile} profile does not allow invoice lines`)]
      : [];
  }
  // ZUGFeRD 1.0 predates EN 16931 and allows free-text lines without quantity or price.
  if (inv.syntax === 'zugferd1') return [];
  return billedLines(inv.lines)
    .flatMap((line, i) => checkLine(line, i))
    .slice(0, 20);
}

/** Code lists: currency, type code, countries, VAT categories, payment means, tax schemes. */
export function checkCodeLists(inv: RuleInvoice): Finding[] {
  const findings: Finding[] = [];
  if (inv.currency && !CURRENCIES.has(inv.currency))
    findings.push(violation('BR-CL-04', `currency "${inv.currency}" is not an ISO 4217 code`));
  // CII carries invoices and credit notes under one TypeCode (BT-3).
  if (inv.typeCode && !INVOICE_TYPE_CODES.has(inv.typeCode) && !CREDIT_NOTE_TYPE_CODES.has(inv.typeCode))
    findings.push(violation('BR-CL-01', `type code "${inv.typeCode}" is not an UNTDID 1001 invoice type`));
  for (const [who, party] of [
    ['seller', inv.seller],
    ['buyer', inv.buyer],
  ] as const) {
    if (party.country && !COUNTRIES.has(party.country))
      findings.push(violation('BR-CL-14', `${who} country "${party.country}" is not an ISO 3166-1 code`));
    const bad = party.taxSchemes.filter((s) => s !== 'VA' && s !== 'FC');
    if (bad.length)
      findings.push(
        violation(
          'CII-SR-schemeID',
          `${who} tax registration scheme "${bad[0]}" must be VA (VAT ID) or FC (tax number)`,
        ),
      );
  }
  for (const row of [...inv.taxes, ...inv.allowances]) {
    if (row.category && !VAT_CATEGORIES.has(row.category))
      findings.push(violation('BR-CL-17', `VAT category "${row.category}" is not in UNTDID 5305`));
  }
  for (const code of inv.paymentMeans) {
    if (!PAYMENT_MEANS.has(code))
      findings.push(violation('BR-CL-16', `payment means code "${code}" is not in UNTDID 4461`));
    // Code 1 says "instrument not defined": the buyer cannot tell how to pay.
    else if (code === '1')
      findings.push(
        violation('BR-CL-16', 'payment means code 1 ("not defined") gives no payment instrument', 'warning'),
      );
  }
  return findings;
}
