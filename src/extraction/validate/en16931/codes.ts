/** Code lists live in ./code-lists/; re-exported here for the CII / ZUGFeRD 1.0 model rules. */
export {
  COUNTRIES,
  CURRENCIES,
  INVOICE_TYPE_CODES,
  PAYMENT_MEANS,
  UNIT_CODES,
  VAT_CATEGORIES,
} from './code-lists/index.js';

/** Declared namespaces of the e-invoice roots; a different one means a different (or broken) schema. */
export const ROOT_NAMESPACES: Record<string, string[]> = {
  CrossIndustryInvoice: ['urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100'],
  CrossIndustryDocument: ['urn:ferd:CrossIndustryDocument:invoice:1p0'],
  Invoice: ['urn:oasis:names:specification:ubl:schema:xsd:Invoice-2'],
  CreditNote: ['urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2'],
};
