/**
 * Every code list the EN 16931 checks use, in one place. Compiled in (no network); a code outside a
 * list is reported, never corrected.
 */
export { COUNTRIES } from './iso3166-countries.js';
export { CURRENCIES } from './iso4217-currencies.js';
export { UNIT_CODE_SHAPE, UNIT_CODES } from './rec20-units.js';
export {
  ALLOWANCE_REASONS,
  CREDIT_NOTE_TYPE_CODES,
  INVOICE_TYPE_CODES,
  ITEM_CLASSIFICATION_CODE,
  LETTER_CODE,
  NOTE_SUBJECT,
  PAYMENT_MEANS,
  VAT_CATEGORIES,
  VAT_DATE_CODES,
  VAT_DATE_CODES_CII,
} from './untdid.js';
export { ATTACHMENT_MIME_TYPES, EAS, ICD, VATEX_CODE } from './identifiers.js';
