/** Date normalisation to ISO `YYYY-MM-DD` from the notations printed on European invoices. */

const MONTHS: Record<string, number> = buildMonthTable({
  1: 'january jan januar jänner jaenner janvier janv leden ledna január januára jaanuar januari styczeń stycznia styczen',
  2: 'february feb februari februar février fevrier févr fevr únor února unor unora február februára veebruar luty lutego',
  3: 'march mar maart mrt märz maerz marz mars březen března brezen brezna marec marca märts marts marzec',
  4: 'april apr avril avr duben dubna apríl apríla aprill kwiecień kwietnia kwiecien',
  5: 'may mai mei květen května kveten kvetna máj mája maj maja',
  6: 'june jun juni juin červen června cerven cervna jún júna juuni czerwiec czerwca',
  7: 'july jul juli juillet juil červenec července cervenec cervence júl júla juuli lipiec lipca',
  8: 'august aug augustus août aout srpen srpna augusta sierpień sierpnia sierpien',
  9: 'september sep sept septembre září zari septembra wrzesień września wrzesien wrzesnia',
  10: 'october oct oktober okt octobre říjen října rijen rijna október októbra oktoober październik października',
  11: 'november nov novembre listopad listopadu novembra listopada',
  12: 'december dec dezember dez décembre decembre déc prosinec prosince decembra detsember grudzień grudnia',
});

function buildMonthTable(spec: Record<number, string>): Record<string, number> {
  const table: Record<string, number> = {};
  for (const [month, words] of Object.entries(spec)) {
    for (const word of words.split(' ')) table[word] = Number(month);
  }
  return table;
}

/** Looks up a month name or abbreviation in cs, sk, de, en, et, pl, fr (case-insensitive). */
export function monthFromName(word: string): number | null {
  const key = word.toLowerCase().replace(/\.$/, '');
  return MONTHS[key] ?? null;
}

function iso(year: number, month: number, day: number): string | null {
  if (month < 1 || month > 12 || day < 1 || day > 31 || year < 1900 || year > 2199) return null;
  const probe = new Date(Date.UTC(year, month - 1, day));
  if (probe.getUTCMonth() !== month - 1) return null;
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

function fullYear(y: string): number {
  const n = Number(y);
  return y.length === 2 ? 2000 + n : n;
}

const NUMERIC_PATTERNS: Array<[RegExp, (m: RegExpMatchArray) => string | null]> = [
  [/^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$/, (m) => iso(+m[1]!, +m[2]!, +m[3]!)],
  [/^(\d{4})(\d{2})(\d{2})$/, (m) => iso(+m[1]!, +m[2]!, +m[3]!)],
  [/^(\d{4})[./](\d{1,2})[./](\d{1,2})\.?$/, (m) => iso(+m[1]!, +m[2]!, +m[3]!)],
  [/^(\d{1,2})\.\s*(\d{1,2})\.\s*(\d{4}|\d{2})$/, (m) => iso(fullYear(m[3]!), +m[2]!, +m[1]!)],
  [/^(\d{1,2})-(\d{1,2})-(\d{4}|\d{2})$/, (m) => iso(fullYear(m[3]!), +m[2]!, +m[1]!)],
  // OCR drops the second separator of receipt dates ("30-092017"); the four-digit year keeps it unambiguous.
  [/^(\d{1,2})[-/.](\d{2})(\d{4})$/, (m) => iso(+m[3]!, +m[2]!, +m[1]!)],
  [/^(\d{1,2})\/(\d{1,2})\/(\d{4}|\d{2})$/, (m) => slashDate(+m[1]!, +m[2]!, fullYear(m[3]!))],
];

/** Day first as in Europe; month first only when the day-first reading is impossible. */
function slashDate(a: number, b: number, year: number): string | null {
  return iso(year, b, a) ?? iso(year, a, b);
}

/**
 * Parses a printed date (`14.03.2024`, `14. 3. 2024`, `2024-03-14`, `14/03/2024`, `20240314`,
 * `March 14, 2024`, `14. března 2024`, `14 mars 2024`, `14-Mar-2024`) into `YYYY-MM-DD`, or null.
 */
export function parseDate(raw: string): string | null {
  const s = raw.trim().replace(/\s+/g, ' ');
  for (const [pattern, build] of NUMERIC_PATTERNS) {
    const m = s.match(pattern);
    if (m) return build(m);
  }
  return parseNamedMonth(s);
}

function parseNamedMonth(s: string): string | null {
  const dayFirst = s.match(/^(\d{1,2})\.?[ -]?([\p{L}]+)\.?,?[ -]?(\d{4}|\d{2})$/u);
  if (dayFirst) {
    const month = monthFromName(dayFirst[2]!);
    return month ? iso(fullYear(dayFirst[3]!), month, +dayFirst[1]!) : null;
  }
  const monthFirst = s.match(/^([\p{L}]+)\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})$/u);
  if (monthFirst) {
    const month = monthFromName(monthFirst[1]!);
    return month ? iso(+monthFirst[3]!, month, +monthFirst[2]!) : null;
  }
  return null;
}

/** Regex source that finds date-looking substrings in a line of text. */
export const DATE_IN_TEXT =
  /(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}\.\s?\d{1,2}\.\s?\d{2,4}|\d{1,2}[/-]\d{1,2}[/-]\d{2,4}|\d{1,2}[/-]\d{2}\d{4}(?!\d)|\d{1,2}\.?[ -]?\p{L}{3,12}\.?,?[ -]?(?:\d{4}|\d{2}(?![\d.,]))|\p{L}{3,9}\.? \d{1,2}(?:st|nd|rd|th)?,? \d{4})/gu;
