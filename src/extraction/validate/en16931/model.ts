/** A syntax-neutral view of a structured invoice, just what the EN 16931 rule checks read. */

export type Profile =
  | 'minimum'
  | 'basicwl'
  | 'basic'
  | 'en16931'
  | 'extended'
  | 'xrechnung'
  | 'peppol'
  | 'zf1-basic'
  | 'zf1-comfort'
  | 'zf1-extended'
  | 'unknown';

export interface RuleParty {
  name?: string;
  country?: string;
  /** VAT identifiers (CII schemeID VA, UBL TaxScheme VAT). */
  vatIds: string[];
  /** Any tax registration (VAT or local tax number). */
  taxIds: string[];
  /** Tax registration scheme identifiers as written (CII VA / FC). */
  taxSchemes: string[];
  legalId?: string;
  hasAddress: boolean;
}

export interface RuleLine {
  id?: string;
  quantity?: string;
  unitCode?: string;
  net?: string;
  name?: string;
  price?: string;
  baseQuantity?: string;
  category?: string;
  rate?: string;
  /** EXTENDED sub-invoice lines: the parent line ID and GROUP / DETAIL / INFORMATION status. */
  parentId?: string;
  status?: string;
  /** Line-level allowances and charges (BG-27 / BG-28) as signed amounts: charges positive. */
  adjustments: string[];
}

export interface RuleTax {
  category?: string;
  rate?: string;
  base?: string;
  amount?: string;
  exemptionReason?: string;
}

export interface RuleAllowance {
  charge: boolean;
  /** EXTENDED logistics service charges: part of the VAT base, not of the charge total. */
  logistics?: boolean;
  amount?: string;
  category?: string;
  rate?: string;
}

export interface RuleTotals {
  lineTotal?: string;
  allowanceTotal?: string;
  chargeTotal?: string;
  taxBasis?: string;
  /** Tax total in the invoice currency (BT-110). */
  taxTotal?: string;
  /** CII: the TaxTotalAmount elements whose currencyID is the invoice currency (BR-CO-15 wants one). */
  taxTotalsInCurrency?: string[];
  grandTotal?: string;
  prepaid?: string;
  rounding?: string;
  due?: string;
}

/** A date as written, with its CII format qualifier when there is one. */
export interface RuleDate {
  path: string;
  value: string;
  format?: string;
}

export interface RuleInvoice {
  syntax: 'cii' | 'zugferd1' | 'ubl';
  specId?: string;
  profile: Profile;
  typeCode?: string;
  number?: string;
  issueDate?: string;
  currency?: string;
  seller: RuleParty;
  buyer: RuleParty;
  taxRepresentativeVatId?: string;
  lines: RuleLine[];
  taxes: RuleTax[];
  allowances: RuleAllowance[];
  totals: RuleTotals;
  paymentMeans: string[];
  hasPaymentTerms: boolean;
  dueDate?: string;
  /** Monetary amounts that BR-DEC limits to two decimals, with the element that holds them. */
  amounts: Array<{ path: string; value: string }>;
  dates: RuleDate[];
  /** Elements present in the XML that matter for profile subsets. */
  hasPrecedingInvoice: boolean;
  /** CII only: amount elements other than TaxTotalAmount that carry a currencyID (CII-DT-031). */
  amountsWithCurrency: string[];
  /** CII only: gross-price allowances with a CalculationPercent or BasisAmount (CII-SR-122 / 123). */
  grossPriceExtras: string[];
}

/** Maps a specification identifier (BT-24) to the profile whose rules apply. */
export function profileOf(specId: string | undefined): Profile {
  if (!specId) return 'unknown';
  const id = specId.toLowerCase();
  if (id.startsWith('urn:ferd:')) {
    if (id.endsWith(':extended')) return 'zf1-extended';
    if (id.endsWith(':comfort')) return 'zf1-comfort';
    return 'zf1-basic';
  }
  if (/:minimum$/.test(id)) return 'minimum';
  if (/:basicwl$/.test(id)) return 'basicwl';
  if (/xrechnung/.test(id)) return 'xrechnung';
  if (/peppol/.test(id)) return 'peppol';
  if (/:extended$/.test(id)) return 'extended';
  if (/:basic$/.test(id)) return 'basic';
  return id.startsWith('urn:cen.eu:en16931:2017') ? 'en16931' : 'unknown';
}

/** Lines that count towards the totals: top-level lines that are not information-only. */
export function countedLines(lines: RuleLine[]): RuleLine[] {
  return lines.filter((l) => !l.parentId && l.status !== 'INFORMATION');
}

/** Lines that must carry the BG-25 terms: GROUP and INFORMATION lines are headings, not sales. */
export function billedLines(lines: RuleLine[]): RuleLine[] {
  return lines.filter((l) => l.status !== 'GROUP' && l.status !== 'INFORMATION');
}

/** MINIMUM and BASIC WL carry no invoice lines and only part of the EN 16931 model. */
export function isPartialProfile(profile: Profile): boolean {
  return profile === 'minimum' || profile === 'basicwl';
}
