/**
 * Control characters that no invoice field means and that PostgreSQL refuses: `text` and `jsonb`
 * cannot hold U+0000, and the other C0 controls (tab, line feed and carriage return aside) only
 * come from broken fonts, OCR noise or hostile input.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g;

/** A string without control characters and without unpaired surrogates (replaced by U+FFFD). */
export function cleanString(text: string): string {
  return text.toWellFormed().replace(CONTROL_CHARACTERS, '');
}

/**
 * The same value with every string in it cleaned (`cleanString`), object keys included. The
 * engine's result passes through here, so whatever a PDF text layer, OCR or an XML character
 * reference produced, it can be stored and served as JSON.
 */
export function cleanStrings<T>(value: T): T {
  if (typeof value === 'string') return cleanString(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => cleanStrings(item)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [cleanString(key), cleanStrings(item as unknown)]),
    ) as T;
  }
  return value;
}
