import type { Finding } from '../../types.js';
import { absDiff, money, sum, units, violation } from './finding.js';
import { countedLines, type RuleInvoice, type RuleLine } from './model.js';

/** One cent: our own line checks round the unit price, so they allow it; the standard's totals do not. */
const CENT = 1n;

function mismatch(rule: string, what: string, stated: string, expected: bigint): Finding {
  return violation(rule, `${what} is ${stated}, but the amounts it is made of give ${money(expected)}`);
}

/**
 * BR-CO-10..BR-CO-16: the document totals are the sums the standard defines, with signed amounts
 * (a negative invoice has negative totals) and no tolerance: the standard rounds the sum to the
 * cent and compares exactly.
 */
export function checkTotalsArithmetic(inv: RuleInvoice): Finding[] {
  const t = inv.totals;
  const findings: Finding[] = [];
  const check = (rule: string, what: string, stated: string | undefined, expected: bigint | null): void => {
    const value = units(stated);
    if (stated === undefined || value === null || expected === null) return;
    if (value !== expected) findings.push(mismatch(rule, what, stated, expected));
  };
  const lines = countedLines(inv.lines);
  // ZUGFeRD 1.0 line totals are not always net amounts; its header arithmetic is still checked.
  if (inv.syntax !== 'zugferd1' && lines.length > 0 && lines.every((l) => l.net !== undefined))
    check('BR-CO-10', 'the sum of line net amounts (BT-106)', t.lineTotal, sum(lines.map((l) => l.net)));
  const allowances = inv.allowances.filter((a) => !a.charge).map((a) => a.amount);
  const charges = inv.allowances.filter((a) => a.charge && !a.logistics).map((a) => a.amount);
  if (allowances.length) check('BR-CO-11', 'the allowance total (BT-107)', t.allowanceTotal, sum(allowances));
  if (charges.length && !inv.allowances.some((a) => a.logistics))
    check('BR-CO-12', 'the charge total (BT-108)', t.chargeTotal, sum(charges));
  const line = units(t.lineTotal);
  const allowance = t.allowanceTotal === undefined ? 0n : units(t.allowanceTotal);
  const charge = t.chargeTotal === undefined ? 0n : units(t.chargeTotal);
  if (line !== null && allowance !== null && charge !== null)
    check('BR-CO-13', 'the total without VAT (BT-109)', t.taxBasis, line - allowance + charge);
  if (inv.taxes.length > 0)
    check('BR-CO-14', 'the VAT total (BT-110)', t.taxTotal, sum(inv.taxes.map((x) => x.amount ?? '0')));
  const basis = units(t.taxBasis);
  const tax = t.taxTotal === undefined ? 0n : units(t.taxTotal);
  if (inv.syntax === 'cii') findings.push(...checkGrossCii(inv));
  else if (basis !== null && tax !== null)
    check('BR-CO-15', 'the total with VAT (BT-112)', t.grandTotal, basis + tax);
  const grand = units(t.grandTotal);
  const prepaid = t.prepaid === undefined ? 0n : units(t.prepaid);
  const rounding = t.rounding === undefined ? 0n : units(t.rounding);
  // MINIMUM carries no prepaid amount (BT-113), so its due amount may differ from the grand total.
  if (grand !== null && prepaid !== null && rounding !== null && inv.profile !== 'minimum')
    check('BR-CO-16', 'the amount due (BT-115)', t.due, grand - prepaid + rounding);
  return findings;
}

/**
 * BR-CO-15 as the CII binding states it: the grand total equals the VAT-exclusive total plus the one
 * VAT total in the invoice currency (TaxTotalAmount with that currencyID), or the VAT-exclusive
 * total alone.
 */
function checkGrossCii(inv: RuleInvoice): Finding[] {
  const t = inv.totals;
  if (!inv.currency || t.grandTotal === undefined) return [];
  const grand = units(t.grandTotal);
  const basis = units(t.taxBasis);
  const inCurrency = t.taxTotalsInCurrency ?? [];
  const tax = inCurrency.length === 1 ? units(inCurrency[0]) : null;
  if (grand === null) return [];
  if (basis !== null && grand === basis) return [];
  if (basis !== null && tax !== null && grand === basis + tax) return [];
  return [
    violation(
      'BR-CO-15',
      inCurrency.length === 1
        ? `the total with VAT (BT-112) ${t.grandTotal} is not the total without VAT plus the VAT total`
        : `the total with VAT (BT-112) needs exactly one VAT total (BT-110) with currencyID ${inv.currency}, found ${inCurrency.length}`,
    ),
  ];
}

/** Line net = quantity x net price / price base quantity + line charges - line allowances. */
function expectedLineNet(line: RuleLine): bigint | null {
  const SCALE = 6;
  const qty = units(line.quantity, SCALE);
  const price = units(line.price, SCALE);
  const base = line.baseQuantity ? units(line.baseQuantity, SCALE) : 10n ** BigInt(SCALE);
  const adjustments = sum(line.adjustments);
  if (qty === null || price === null || base === null || base === 0n || adjustments === null) return null;
  // qty*price has 2*SCALE decimals; divide by base (SCALE decimals) and drop to cents.
  const raw = (qty * price) / base; // SCALE decimals
  const cents = (raw + (raw >= 0n ? 5000n : -5000n)) / 10000n;
  return cents + adjustments;
}

/**
 * A line whose net amount is not its quantity times its net price. EN 16931 itself leaves this to
 * the seller, Peppol (PEPPOL-EN16931-R120) and every accountant do not: it is a warning.
 */
export function checkLineArithmetic(inv: RuleInvoice): Finding[] {
  if (inv.syntax === 'zugferd1') return [];
  const findings: Finding[] = [];
  for (const line of inv.lines.filter((l) => !l.status || l.status === 'DETAIL')) {
    const stated = units(line.net);
    const expected = expectedLineNet(line);
    if (stated === null || expected === null) continue;
    // Two cents of slack: some writers round the unit price before multiplying.
    if (absDiff(stated, expected) <= CENT * 2n) continue;
    findings.push(
      violation(
        'line-net',
        `line ${line.id ?? '?'}: net amount ${line.net} is not quantity ${line.quantity} x net price ${line.price}${line.baseQuantity ? ` / ${line.baseQuantity}` : ''} = ${money(expected)}`,
        'warning',
      ),
    );
  }
  return findings.slice(0, 10);
}

/** EXTENDED sub-invoice lines: a GROUP line's net amount is the sum of its direct children. */
export function checkLineGroups(inv: RuleInvoice): Finding[] {
  const findings: Finding[] = [];
  for (const group of inv.lines.filter((l) => l.status === 'GROUP' && l.id)) {
    const children = inv.lines.filter((l) => l.parentId === group.id && l.status !== 'INFORMATION');
    const total = children.length ? sum(children.map((c) => c.net)) : null;
    const stated = units(group.net);
    if (total === null || stated === null || absDiff(total, stated) <= CENT) continue;
    findings.push(
      violation(
        'line-group',
        `group line ${group.id}: net amount ${group.net} is not the sum of its sub-lines ${money(total)}`,
      ),
    );
  }
  return findings;
}
