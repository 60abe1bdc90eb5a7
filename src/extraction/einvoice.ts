/**
 * The EN 16931 semantic model of a structured e-invoice, as read from UBL, CII or ISDOC: every
 * business term the exports write, so a document read from XML can be written out again without
 * losing what its source said. Comments name the business terms (BT / BG). Amounts and quantities
 * are decimal strings exactly as written; identifiers are trimmed, VAT IDs without spaces or dots.
 */

export interface EIdentifier {
  id: string;
  /** Identification scheme (ISO 6523 ICD for party ids, EAS for electronic addresses). */
  scheme?: string;
}

/** BG-5 / BG-8 / BG-12 / BG-15 postal address. */
export interface EAddress {
  /** BT-35..37 / BT-162 street lines, in order. */
  lines: string[];
  city?: string;
  postcode?: string;
  subdivision?: string;
  country?: string;
}

export interface EContact {
  name?: string;
  phone?: string;
  email?: string;
}

/** BG-4 seller / BG-7 buyer. */
export interface EParty {
  /** BT-27 / BT-44 registration name. */
  name?: string;
  /** BT-28 / BT-45 trading name. */
  tradingName?: string;
  /** BT-29 / BT-46 identifiers. */
  ids: EIdentifier[];
  /** BT-30 / BT-47 legal registration id. */
  legalId?: EIdentifier;
  /** BT-31 / BT-48 VAT identifier. */
  vatId?: string;
  /** BT-32 tax registration (local tax number, CII scheme FC). */
  taxRegistrationId?: string;
  /** BT-33 additional legal information. */
  legalInfo?: string;
  /** BT-34 / BT-49 electronic address. */
  electronicAddress?: EIdentifier;
  address?: EAddress;
  contact?: EContact;
}

/** BG-10 payee / BG-11 tax representative: the parts the exports carry. */
export interface EOtherParty {
  name?: string;
  ids: EIdentifier[];
  legalId?: EIdentifier;
  vatId?: string;
  address?: EAddress;
}

/** BG-16 payment instructions, one per payment means. */
export interface EPaymentMeans {
  /** BT-81 UNTDID 4461 code. */
  code: string;
  /** BT-82 */
  text?: string;
  /** BT-84 account (IBAN or a national account number). */
  account?: string;
  /** BT-85 */
  accountName?: string;
  /** BT-86 */
  bic?: string;
  /** BT-87 card number (the last digits only) and BT-88 holder. */
  cardNumber?: string;
  cardHolder?: string;
  /** BT-89 mandate reference, BT-91 debited account. */
  mandate?: string;
  debitedAccount?: string;
  /** ISDOC's national account parts, kept so an ISDOC export can write them back. */
  bankCode?: string;
}

/** BG-20 document allowance / BG-21 document charge, and BG-27 / BG-28 on a line. */
export interface EAllowanceCharge {
  charge: boolean;
  amount: string;
  base?: string;
  percent?: string;
  reason?: string;
  reasonCode?: string;
  /** BT-95 / BT-102 (document level only). */
  category?: string;
  rate?: string;
}

/** BG-23 VAT breakdown row. */
export interface EVatRow {
  category: string;
  rate?: string;
  base: string;
  tax: string;
  /** BT-120 / BT-121 */
  exemptionReason?: string;
  exemptionReasonCode?: string;
}

/** BG-25 invoice line. */
export interface ELine {
  id: string;
  note?: string;
  quantity: string;
  unitCode?: string;
  net: string;
  /** BT-146 net price, BT-149/150 base quantity, BT-148 gross price, BT-147 discount. */
  price: string;
  baseQuantity?: string;
  grossPrice?: string;
  priceDiscount?: string;
  name: string;
  description?: string;
  sellerItemId?: string;
  buyerItemId?: string;
  standardItemId?: EIdentifier;
  /** BT-151 / BT-152 */
  category: string;
  rate?: string;
  allowances: EAllowanceCharge[];
  periodStart?: string;
  periodEnd?: string;
  orderLineRef?: string;
  accountingRef?: string;
  originCountry?: string;
}

export interface ETotals {
  /** BT-106 sum of line net amounts */
  lineNet: string;
  /** BT-107 / BT-108 */
  allowances?: string;
  charges?: string;
  /** BT-109 */
  net: string;
  /** BT-110; absent when the source does not say it */
  tax?: string;
  /** BT-111 tax in the VAT accounting currency */
  taxInTaxCurrency?: string;
  /** BT-112 */
  gross: string;
  /** BT-113 / BT-114 */
  prepaid?: string;
  rounding?: string;
  /** BT-115 */
  due: string;
}

export interface EInvoice {
  /** BT-1 */
  number: string;
  /** BT-2 / BT-9 / BT-7 */
  issueDate: string;
  dueDate?: string;
  taxPointDate?: string;
  /** BT-3 UNTDID 1001 */
  typeCode: string;
  /** BT-5 / BT-6 */
  currency: string;
  taxCurrency?: string;
  /** BT-8 */
  taxPointDateCode?: string;
  /** BT-10 */
  buyerReference?: string;
  /** BT-11..18 */
  projectReference?: string;
  contractReference?: string;
  orderReference?: string;
  salesOrderReference?: string;
  receivingAdviceReference?: string;
  despatchAdviceReference?: string;
  tenderReference?: string;
  /** BT-19 */
  accountingReference?: string;
  /** BG-3 preceding invoices */
  precedingInvoices: Array<{ id: string; issueDate?: string }>;
  /** BT-22 (BG-1), with BT-21 subject code */
  notes: Array<{ text: string; subject?: string }>;
  /** BT-23 business process, BT-24 the source's specification identifier */
  businessProcess?: string;
  specification?: string;
  seller: EParty;
  buyer: EParty;
  payee?: EOtherParty;
  taxRepresentative?: EOtherParty;
  /** BG-13 delivery */
  delivery?: { name?: string; locationId?: EIdentifier; date?: string; address?: EAddress };
  /** BG-14 invoicing period */
  periodStart?: string;
  periodEnd?: string;
  /** BT-90 bank assigned creditor identifier (SEPA direct debit) */
  creditorId?: string;
  /** BT-83 remittance information (payment reference / variable symbol) */
  paymentReference?: string;
  paymentMeans: EPaymentMeans[];
  /** BT-20 */
  paymentTerms?: string;
  allowanceCharges: EAllowanceCharge[];
  totals: ETotals;
  vat: EVatRow[];
  lines: ELine[];
}
