/** Identifier normalisation: upper-case, no spaces, dots or dashes. */
export function normaliseId(raw: string): string {
  return raw.toUpperCase().replace(/[\s\u00a0.-]/g, '');
}

/** ISO 4217 codes the engine recognises in text, with the symbols printed for them. */
export const CURRENCY_SYMBOLS: Record<string, string> = {
  '€': 'EUR',
  Kč: 'CZK',
  Kc: 'CZK',
  zł: 'PLN',
  '£': 'GBP',
  $: 'USD',
  '₹': 'INR',
  Ft: 'HUF',
};

export const KNOWN_CURRENCIES = new Set(
  'EUR CZK PLN USD GBP CHF SEK NOK DKK HUF RON BGN INR JPY CNY CAD AUD MYR SGD'.split(' '),
);
