import type { Finding } from '../../types.js';
import { violation } from './finding.js';
import type { RuleInvoice } from './model.js';

/**
 * CII syntax binding of EN 16931 (CEN/TS 16931-3-3). CII-DT-031: only the VAT total carries a
 * currencyID; every other amount is in the invoice currency (BT-5) by definition. It binds the
 * EN 16931 profiles; MINIMUM and BASIC WL reuse the binding without being EN 16931 invoices (a
 * warning there), and EXTENDED widens the syntax, so it is not checked there.
 */
export function checkCurrencyAttributes(inv: RuleInvoice): Finding[] {
  if (inv.syntax !== 'cii' || inv.amountsWithCurrency.length === 0) return [];
  if (inv.profile === 'extended') return [];
  const severity = inv.profile === 'minimum' || inv.profile === 'basicwl' ? 'warning' : 'error';
  const names = [...new Set(inv.amountsWithCurrency)];
  return [
    violation(
      'CII-DT-031',
      `currencyID must only be given on TaxTotalAmount; found on ${inv.amountsWithCurrency.length} other amounts (${names.slice(0, 4).join(', ')}${names.length > 4 ? ', ...' : ''})`,
      severity,
    ),
  ];
}

/** CII-SR-122 / CII-SR-123: the item price discount (BT-147) is an amount, without percent or base. */
export function checkGrossPriceDiscounts(inv: RuleInvoice): Finding[] {
  if (inv.syntax !== 'cii' || inv.profile === 'extended') return [];
  const findings: Finding[] = [];
  if (inv.grossPriceExtras.includes('CalculationPercent'))
    findings.push(
      violation(
        'CII-SR-122',
        'a gross price discount carries a CalculationPercent; EN 16931 has no such term',
        'warning',
      ),
    );
  if (inv.grossPriceExtras.includes('BasisAmount'))
    findings.push(
      violation(
        'CII-SR-123',
        'a gross price discount carries a BasisAmount; EN 16931 has no such term',
        'warning',
      ),
    );
  return findings;
}
