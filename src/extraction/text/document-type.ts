import type { Word } from './words.js';

const CREDIT_NOTE =
  /^(?:gutschrift|rechnungskorrektur|stornorechnung|credit|avoir|dobropis|opravný|korekta|kreeditarve)/i;
const INVOICE = /^(?:factuur|rechnung|\w*rechnung|invoice|facture|faktura|faktúra|arve|tax invoice)/i;

/** Document type from the words printed on the page: a credit-note title wins over "invoice". */
export function documentTypeFromWords(words: Word[]): 'invoice' | 'credit_note' | 'unknown' {
  const head = words.slice(0, 400);
  if (
    head.some((w) => CREDIT_NOTE.test(w.text) && !/^credit(?:or)?s?$/i.test(w.text.replace(/[^\p{L}]/gu, '')))
  )
    return 'credit_note';
  return head.some((w) => INVOICE.test(w.text)) ? 'invoice' : 'unknown';
}
