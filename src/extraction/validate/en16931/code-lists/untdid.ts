import { codeList } from './code-list.js';

/** UNTDID 1001 document types EN 16931 allows as commercial invoices (BT-3 in a UBL Invoice, CII). */
export const INVOICE_TYPE_CODES = codeList(`
71 80 81 82 84 102 130 202 203 204 211 218 219 295 325 326 331 380 382 383 384 385 386 387 388 389
390 393 394 395 456 457 471 472 473 500 501 527 553 575 623 633 751 780 817 870 875 876 877 935`);

/** UNTDID 1001 document types of a UBL CreditNote (BT-3). */
export const CREDIT_NOTE_TYPE_CODES = codeList('81 83 261 262 296 308 381 396 420 458 502 503 532');

/** UNTDID 5305 duty/tax/fee categories of the EN 16931 subset (BT-95, BT-102, BT-118, BT-151). */
export const VAT_CATEGORIES = codeList('AE L M E S Z G O K B');

/** UNTDID 4461 payment means (BT-81). */
export const PAYMENT_MEANS = codeList(`
1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36
37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63 64 65 66 67 68 69 70
74 75 76 77 78 91 92 93 94 95 96 97 98 ZZZ`);

/** UNTDID 2005 subset for the VAT point date code (BT-8): 3 invoice date, 35 delivery date, 432 paid. */
export const VAT_DATE_CODES = codeList('3 35 432');

/** UNTDID 2475 subset for the CII VAT point date code (BT-8): 5 invoice, 29 delivery, 72 paid. */
export const VAT_DATE_CODES_CII = codeList('5 29 72');

/** UNTDID 5189 allowance reasons (BT-98, BT-140). */
export const ALLOWANCE_REASONS = codeList('41 42 60 62 63 64 65 66 67 68 70 71 88 95 100 102 103 104 105');

/**
 * Code lists of hundreds of two- or three-letter codes (UNTDID 7161 charge reasons, 1153 reference
 * qualifiers, 7143 item classification schemes, 4451 note subjects). They are checked by their shape,
 * not against every code: a code of another shape is reported, a well-formed unknown code is not.
 */
export const LETTER_CODE = /^[A-Z]{2,3}$/;
export const NOTE_SUBJECT = /^[A-Z]{3}$/;
export const ITEM_CLASSIFICATION_CODE = /^[A-Z]{2,3}$/;
