/** Identifier normalisation: upper-case, no spaces, dots or dashes. */
export function normaliseId(raw: string): string {
  return raw.toUpperCase().replace(/[\s\u00a0.-]/g, '');
}

/** Ids compared on their digits and letters ("HRB 12345" = "HRB12345", "de 123 456 789" = "DE123456789"). */
export function idKey(value: string | null | undefined): string {
  return value ? normaliseId(value).replace(/[^A-Z0-9]/g, '') : '';
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
