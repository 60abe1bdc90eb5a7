import type { Finding } from '../../types.js';
import { abs, add, cmp, dec, fromInt, mul, round, shift, sub } from './decimal.js';
import { money, sum, units, violation } from './finding.js';
import { countedLines, isPartialProfile, type RuleInvoice, type RuleTax } from './model.js';

/**
 * VAT category rules on the syntax-neutral model (CII D16B, ZUGFeRD 1.0), under the standard's ids:
 * K is BR-IC (intra-community), L is BR-AF (IGIC), M is BR-AG (IPSI); the other families carry
 * their code. Rate rules (-05/-06/-07) and identifier rules (-02/-03/-04) look at lines,
 * allowances and charges, where the standard evaluates them; -08..-10 at the breakdown row.
 */
const FAMILY: Record<string, string> = {
  S: 'BR-S',
  Z: 'BR-Z',
  E: 'BR-E',
  AE: 'BR-AE',
  K: 'BR-IC',
  G: 'BR-G',
  O: 'BR-O',
  L: 'BR-AF',
  M: 'BR-AG',
};
/** Categories whose rate must be zero and whose VAT amount must be zero. */
const ZERO_RATED = new Set(['Z', 'E', 'AE', 'K', 'G']);
/** Categories that need an exemption reason text or code (-10); S, Z, L and M must not have one. */
const NEEDS_REASON = new Set(['E', 'AE', 'K', 'G', 'O']);
const NO_REASON = new Set(['S', 'Z', 'L', 'M']);
/** Categories with any rate (-08 per rate, -09 as taxable x rate within one unit). */
const PER_RATE = new Set(['S', 'L', 'M']);

function rateProblem(category: string, rate: string | undefined): string | null {
  const value = dec(rate);
  if (category === 'O') return rate === undefined ? null : 'must not carry a rate';
  if (category === 'S') return value !== null && value.units > 0n ? null : 'needs a rate above zero';
  if (ZERO_RATED.has(category)) return value !== null && value.units === 0n ? null : 'needs rate 0';
  if (category === 'L' || category === 'M')
    return value !== null && value.units >= 0n ? null : 'needs a rate of zero or more';
  return null;
}

/** BR-x-05 / -06 / -07: the rate of each line, allowance and charge by its category. */
function checkRates(inv: RuleInvoice): Finding[] {
  const findings: Finding[] = [];
  const seen = new Set<string>();
  const report = (rule: string, message: string): void => {
    if (seen.has(rule)) return;
    seen.add(rule);
    findings.push(violation(rule, message));
  };
  for (const line of inv.lines) {
    const family = line.category ? FAMILY[line.category] : undefined;
    const problem = family ? rateProblem(line.category!, line.rate) : null;
    if (family && problem)
      report(`${family}-05`, `line ${line.id ?? '?'} of category ${line.category} ${problem}`);
  }
  for (const a of inv.allowances.filter((x) => !x.logistics)) {
    const family = a.category ? FAMILY[a.category] : undefined;
    const problem = family ? rateProblem(a.category!, a.rate) : null;
    if (family && problem)
      report(
        `${family}-${a.charge ? '07' : '06'}`,
        `a document ${a.charge ? 'charge' : 'allowance'} of category ${a.category} ${problem}`,
      );
  }
  return findings;
}

function checkRow(row: RuleTax): Finding[] {
  const c = row.category ?? '?';
  const family = FAMILY[c];
  const findings: Finding[] = [];
  if (!row.base) findings.push(violation('BR-45', `VAT breakdown ${c} has no taxable amount (BT-116)`));
  if (!row.amount) findings.push(violation('BR-46', `VAT breakdown ${c} has no VAT amount (BT-117)`));
  if (!row.category) findings.push(violation('BR-47', 'a VAT breakdown row has no category code (BT-118)'));
  if (c !== 'O' && row.rate === undefined)
    findings.push(violation('BR-48', `VAT breakdown ${c} has no rate (BT-119)`));
  const amount = dec(row.amount);
  if (family && !PER_RATE.has(c) && amount !== null && amount.units !== 0n)
    findings.push(violation(`${family}-09`, `VAT category ${c} must have VAT amount 0, not ${row.amount}`));
  if (family && PER_RATE.has(c) && !withinOneUnit(row))
    findings.push(
      violation(
        `${family}-09`,
        `VAT breakdown ${c} ${row.rate ?? ''} %: VAT ${row.amount} is not taxable amount x rate`,
      ),
    );
  if (NEEDS_REASON.has(c) && !row.exemptionReason)
    findings.push(violation(`${family}-10`, `VAT category ${c} needs an exemption reason (BT-120 / BT-121)`));
  if (NO_REASON.has(c) && row.exemptionReason)
    findings.push(
      violation(`${family}-10`, `VAT category ${c} must not carry an exemption reason (BT-120 / BT-121)`),
    );
  if (!breakdownAmountMatches(row))
    findings.push(
      violation(
        'BR-CO-17',
        `VAT breakdown ${c}: VAT amount ${row.amount} is not taxable amount ${row.base} x ${row.rate ?? '?'} %`,
      ),
    );
  return findings;
}

/** |VAT| within one unit of round(|taxable| x rate / 100, 2), the standard's tolerance (BR-S-09). */
function withinOneUnit(row: RuleTax, inclusive = false): boolean {
  const tax = dec(row.amount);
  const base = dec(row.base);
  const rate = dec(row.rate);
  if (tax === null || base === null || rate === null) return true;
  const expected = round(mul(abs(base), shift(rate, 2)), 2);
  const one = fromInt(1);
  const low = cmp(sub(abs(tax), one), expected);
  const high = cmp(add(abs(tax), one), expected);
  return inclusive ? low <= 0 && high >= 0 : low < 0 && high > 0;
}

/** BR-CO-17: zero rate means zero VAT; otherwise VAT = taxable x rate within one unit (inclusive in CII). */
function breakdownAmountMatches(row: RuleTax): boolean {
  const tax = dec(row.amount);
  if (tax === null) return true;
  const rate = dec(row.rate);
  if (rate === null || round(rate).units === 0n) return round(tax).units === 0n;
  return withinOneUnit(row, true);
}

/** BR-x-02 / -03 / -04: the identifiers a category requires of the parties, where it is used. */
function checkIdentifiers(inv: RuleInvoice): Finding[] {
  const findings: Finding[] = [];
  const sellerTax = inv.seller.taxIds.length > 0 || inv.taxRepresentativeVatId !== undefined;
  const sellerVat = inv.seller.vatIds.length > 0 || inv.taxRepresentativeVatId !== undefined;
  const buyerVat = inv.buyer.vatIds.length > 0;
  const uses: Array<[string, Set<string>]> = [
    ['02', new Set(inv.lines.flatMap((l) => l.category ?? []))],
    ['03', new Set(inv.allowances.filter((a) => !a.charge).flatMap((a) => a.category ?? []))],
    ['04', new Set(inv.allowances.filter((a) => a.charge).flatMap((a) => a.category ?? []))],
  ];
  for (const [suffix, categories] of uses) {
    for (const c of categories) {
      const family = FAMILY[c];
      if (!family) continue;
      let problem: string | null = null;
      if (['S', 'Z', 'E', 'L', 'M'].includes(c) && !sellerTax)
        problem = 'needs the seller VAT ID or tax number (BT-31 / BT-32 / BT-63)';
      if (c === 'G' && !sellerVat) problem = 'needs the seller VAT ID (BT-31 / BT-63)';
      if (c === 'AE' && (!sellerTax || (!buyerVat && !inv.buyer.legalId)))
        problem = 'needs the seller VAT ID and the buyer VAT ID (BT-48) or legal registration (BT-47)';
      if (c === 'K' && (!sellerVat || !buyerVat)) problem = 'needs the seller and the buyer VAT IDs';
      if (c === 'O' && (inv.seller.vatIds.length > 0 || inv.taxRepresentativeVatId || buyerVat))
        problem = 'must not carry seller, tax representative or buyer VAT IDs';
      if (problem) findings.push(violation(`${family}-${suffix}`, `category ${c} ${problem}`));
    }
  }
  return findings;
}

/** BR-x-08: each breakdown base equals its lines plus charges minus allowances. */
function checkBases(inv: RuleInvoice): Finding[] {
  const counted = countedLines(inv.lines);
  if (counted.length === 0 || counted.some((l) => !l.net || !l.category)) return [];
  const findings: Finding[] = [];
  for (const row of inv.taxes) {
    const family = row.category ? FAMILY[row.category] : undefined;
    if (!family) continue;
    const perRate = PER_RATE.has(row.category!);
    const same = (cat?: string, rate?: string): boolean =>
      cat === row.category && (!perRate || units(rate) === units(row.rate));
    const lines = sum(counted.filter((l) => same(l.category, l.rate)).map((l) => l.net));
    const charges = sum(
      inv.allowances.filter((a) => a.charge && same(a.category, a.rate)).map((a) => a.amount),
    );
    const allowances = sum(
      inv.allowances.filter((a) => !a.charge && same(a.category, a.rate)).map((a) => a.amount),
    );
    const base = units(row.base);
    if (lines === null || charges === null || allowances === null || base === null) continue;
    const expected = lines + charges - allowances;
    // The CII binding compares the cent-rounded sums exactly, for every category.
    if (base === expected) continue;
    findings.push(
      violation(
        `${family}-08`,
        `VAT breakdown ${row.category} ${row.rate ?? ''} %: taxable amount ${row.base} is not the lines' sum ${money(expected)}`,
      ),
    );
  }
  return findings;
}

/** BR-x-01: a category used on a line, allowance or charge has its breakdown row. */
function checkBreakdownPresence(inv: RuleInvoice): Finding[] {
  const categories = new Set(inv.taxes.flatMap((t) => t.category ?? []));
  const used = new Set([
    ...inv.lines.flatMap((l) => l.category ?? []),
    ...inv.allowances.flatMap((a) => a.category ?? []),
  ]);
  const findings: Finding[] = [];
  for (const c of used) {
    const family = FAMILY[c];
    if (family && !categories.has(c))
      findings.push(
        violation(`${family}-01`, `VAT category ${c} is used but the VAT breakdown has no ${c} row`),
      );
  }
  for (const c of categories) {
    const family = FAMILY[c];
    if (family && PER_RATE.has(c) && !used.has(c) && inv.lines.length > 0)
      findings.push(
        violation(`${family}-01`, `the VAT breakdown has a ${c} row but no line, allowance or charge of it`),
      );
  }
  return findings;
}

/** VAT category rules (BR-S, -Z, -E, -AE, -IC, -G, -O, -AF, -AG) and BR-CO-17 / BR-CO-18. */
export function checkVat(inv: RuleInvoice): Finding[] {
  if (inv.syntax === 'zugferd1' || inv.profile === 'minimum') return [];
  const findings: Finding[] = [];
  if (inv.taxes.length === 0)
    findings.push(violation('BR-CO-18', 'the invoice has no VAT breakdown (BG-23)'));
  return [
    ...findings,
    ...checkBreakdownPresence(inv),
    ...inv.taxes.flatMap((row) => checkRow(row)),
    ...checkRates(inv),
    ...checkIdentifiers(inv),
    ...(isPartialProfile(inv.profile) ? [] : checkBases(inv)),
  ].slice(0, 20);
}
