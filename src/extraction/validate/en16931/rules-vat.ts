import type { Finding } from '../../types.js';
import { absDiff, money, sum, units, violation } from './finding.js';
import { countedLines, isPartialProfile, type RuleInvoice, type RuleTax } from './model.js';

/** Categories whose rate must be zero and whose VAT amount must be zero (BR-Z/E/AE/K/G-*). */
const ZERO_RATED = new Set(['Z', 'E', 'AE', 'K', 'G']);
/** Categories that need an exemption reason text or code (BR-E-10, BR-AE-10, BR-K-10, BR-G-10, BR-O-10). */
const NEEDS_REASON = new Set(['E', 'AE', 'K', 'G', 'O']);

function checkRow(row: RuleTax): Finding[] {
  const c = row.category ?? '?';
  const findings: Finding[] = [];
  const rate = units(row.rate);
  if (!row.base) findings.push(violation('BR-45', `VAT breakdown ${c} has no taxable amount (BT-116)`));
  if (!row.amount) findings.push(violation('BR-46', `VAT breakdown ${c} has no VAT amount (BT-117)`));
  if (!row.category) findings.push(violation('BR-47', 'a VAT breakdown row has no category code (BT-118)'));
  if (c !== 'O' && row.rate === undefined)
    findings.push(violation('BR-48', `VAT breakdown ${c} has no rate (BT-119)`));
  if (c === 'S' && rate !== null && rate <= 0n)
    findings.push(
      violation('BR-S-05', `standard-rated VAT breakdown has rate ${row.rate}; it must be above zero`),
    );
  if (ZERO_RATED.has(c) && rate !== null && rate !== 0n)
    findings.push(violation(`BR-${c}-05`, `VAT category ${c} must have rate 0, not ${row.rate}`));
  const amount = units(row.amount);
  if ((ZERO_RATED.has(c) || c === 'O') && amount !== null && amount !== 0n)
    findings.push(violation(`BR-${c}-09`, `VAT category ${c} must have VAT amount 0, not ${row.amount}`));
  if (NEEDS_REASON.has(c) && !row.exemptionReason)
    findings.push(violation(`BR-${c}-10`, `VAT category ${c} needs an exemption reason (BT-120 / BT-121)`));
  return findings;
}

/** BR-S/Z/E/AE/K/G-02 and -03: which VAT identifiers a category requires. */
function checkIdentifiers(inv: RuleInvoice, categories: Set<string>): Finding[] {
  const findings: Finding[] = [];
  const sellerTax = inv.seller.taxIds.length > 0 || inv.taxRepresentativeVatId !== undefined;
  const sellerVat = inv.seller.vatIds.length > 0 || inv.taxRepresentativeVatId !== undefined;
  for (const c of ['S', 'Z', 'E']) {
    if (categories.has(c) && !sellerTax)
      findings.push(
        violation(
          `BR-${c}-02`,
          `category ${c} needs the seller VAT ID or tax number (BT-31 / BT-32 / BT-63)`,
        ),
      );
  }
  for (const c of ['AE', 'K', 'G']) {
    if (categories.has(c) && !sellerVat)
      findings.push(violation(`BR-${c}-02`, `category ${c} needs the seller VAT ID (BT-31 / BT-63)`));
  }
  // Reverse charge and intra-community supply name the buyer's VAT ID (AE also accepts a legal ID).
  if (categories.has('AE') && inv.buyer.vatIds.length === 0 && !inv.buyer.legalId)
    findings.push(
      violation('BR-AE-02', 'reverse charge needs the buyer VAT ID (BT-48) or legal registration (BT-47)'),
    );
  if (categories.has('K') && inv.buyer.vatIds.length === 0)
    findings.push(violation('BR-K-02', 'intra-community supply needs the buyer VAT ID (BT-48)'));
  return findings;
}

/** BR-S-08 and siblings: each breakdown base equals its lines plus charges minus allowances. */
function checkBases(inv: RuleInvoice): Finding[] {
  const counted = countedLines(inv.lines);
  if (counted.length === 0 || counted.some((l) => !l.net || !l.category)) return [];
  const findings: Finding[] = [];
  for (const row of inv.taxes) {
    const same = (cat?: string, rate?: string): boolean =>
      cat === row.category && (row.category === 'O' || units(rate) === units(row.rate));
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
    if (absDiff(base, expected) > 1n)
      findings.push(
        violation(
          `BR-${row.category ?? 'S'}-08`,
          `VAT breakdown ${row.category} ${row.rate ?? ''} %: taxable amount ${row.base} is not the lines' sum ${money(expected)}`,
        ),
      );
  }
  return findings;
}

/** VAT category rules (BR-S, BR-Z, BR-E, BR-AE, BR-K, BR-G, BR-O) and BR-CO-18. */
export function checkVat(inv: RuleInvoice): Finding[] {
  if (inv.syntax === 'zugferd1' || inv.profile === 'minimum') return [];
  const findings: Finding[] = [];
  if (inv.taxes.length === 0)
    findings.push(violation('BR-CO-18', 'the invoice has no VAT breakdown (BG-23)'));
  const categories = new Set(inv.taxes.flatMap((t) => t.category ?? []));
  for (const line of inv.lines) {
    if (line.category && !categories.has(line.category))
      findings.push(
        violation(
          `BR-${line.category}-01`,
          `line ${line.id ?? '?'} has VAT category ${line.category} but the breakdown has none`,
        ),
      );
  }
  if (categories.has('O') && inv.seller.vatIds.length > 0 && categories.size === 1)
    findings.push(
      violation('BR-O-02', 'a "not subject to VAT" invoice must not carry the seller VAT ID', 'warning'),
    );
  return [
    ...findings,
    ...inv.taxes.flatMap((row) => checkRow(row)),
    ...checkIdentifiers(inv, categories),
    ...(isPartialProfile(inv.profile) ? [] : checkBases(inv)),
  ].slice(0, 20);
}
