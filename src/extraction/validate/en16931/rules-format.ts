import type { Finding } from '../../types.js';
import { violation } from './finding.js';
import type { RuleDate, RuleInvoice } from './model.js';

function isCalendarDate(y: number, m: number, d: number): boolean {
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/** CII DateTimeString formats: 102 = CCYYMMDD (required for dates), 610 = CCYYMM, 616 = CCYYWW. */
function ciiDateProblem(date: RuleDate): string | null {
  if (date.format === undefined) return 'has no format attribute';
  const v = date.value;
  if (date.format === '102') {
    const m = v.match(/^(\d{4})(\d{2})(\d{2})$/);
    return m && isCalendarDate(Number(m[1]), Number(m[2]), Number(m[3]))
      ? null
      : `"${v}" is not a CCYYMMDD date`;
  }
  if (date.format === '610') return /^\d{4}(0[1-9]|1[0-2])$/.test(v) ? null : `"${v}" is not CCYYMM`;
  if (date.format === '616') return /^\d{4}(0[1-9]|[1-4]\d|5[0-3])$/.test(v) ? null : `"${v}" is not CCYYWW`;
  return `has format "${date.format}"; UNTDID 2379 allows 102, 610 or 616`;
}

function ublDateProblem(date: RuleDate): string | null {
  // xsd:date allows a time zone suffix (2016-04-04+01:00).
  const m = date.value.match(/^(\d{4})-(\d{2})-(\d{2})(Z|[+-]\d{2}:\d{2})?$/);
  return m && isCalendarDate(Number(m[1]), Number(m[2]), Number(m[3]))
    ? null
    : `"${date.value}" is not a YYYY-MM-DD date`;
}

/** Issue and due dates decide booking and payment; other dates (periods, delivery) only inform. */
const KEY_DATES = /^(IssueDate|IssueDateTime|DueDate|DueDateDateTime|PaymentDueDate)$/;

/** Dates must be real calendar dates in the syntax's format. */
export function checkDates(inv: RuleInvoice): Finding[] {
  const findings: Finding[] = [];
  for (const date of inv.dates) {
    const problem = inv.syntax === 'ubl' ? ublDateProblem(date) : ciiDateProblem(date);
    const severity = KEY_DATES.test(date.path) ? 'error' : 'warning';
    if (problem) findings.push(violation('date', `${date.path || 'date'} ${problem}`, severity));
  }
  return findings.slice(0, 10);
}

/** Which BR-DEC rule limits the amount at each place the model names. */
function decimalRule(path: string): string {
  const byTotal: Record<string, string> = {
    lineTotal: 'BR-DEC-09',
    allowanceTotal: 'BR-DEC-10',
    chargeTotal: 'BR-DEC-11',
    taxBasis: 'BR-DEC-12',
    taxTotal: 'BR-DEC-13',
    grandTotal: 'BR-DEC-14',
    prepaid: 'BR-DEC-16',
    rounding: 'BR-DEC-17',
    due: 'BR-DEC-18',
    'VAT breakdown taxable amount': 'BR-DEC-19',
    'VAT breakdown amount': 'BR-DEC-20',
    'document allowance': 'BR-DEC-01',
    'document charge': 'BR-DEC-05',
  };
  return byTotal[path] ?? (path.startsWith('line ') ? 'BR-DEC-23' : 'BR-DEC');
}

/** BR-DEC-*: document-level and line amounts have at most two decimals. */
export function checkDecimals(inv: RuleInvoice): Finding[] {
  // ZUGFeRD 1.0 allowed four decimals on line amounts; it predates BR-DEC.
  if (inv.syntax === 'zugferd1') return [];
  const first = inv.amounts.find((a) => /\.\d{3,}$/.test(a.value.trim()));
  return first
    ? [violation(decimalRule(first.path), `${first.path} ${first.value} has more than two decimals`)]
    : [];
}
