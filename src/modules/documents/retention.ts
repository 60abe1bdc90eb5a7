/**
 * How long a document must be kept. Czech VAT law counts the period from the end of the calendar
 * year of the taxable supply, so `years` are counted from 31 December of the issue date's year
 * (the upload date's year until an issue date is known): kept until 31 December, `years` later.
 */
export type DocumentType = 'invoice' | 'credit_note' | 'receipt' | 'other';

export interface RetentionRules {
  readonly defaultYears: number;
  readonly typeYears: Readonly<Partial<Record<DocumentType, number>>>;
}

export const DEFAULT_RETENTION: RetentionRules = { defaultYears: 10, typeYears: {} };

/** The last day the document must be kept, as a UTC date at midnight. */
export function retainUntil(
  rules: RetentionRules,
  type: DocumentType,
  issueDate: Date | null,
  uploadedAt: Date,
): Date {
  const years = rules.typeYears[type] ?? rules.defaultYears;
  const year = (issueDate ?? uploadedAt).getUTCFullYear() + years;
  return new Date(Date.UTC(year, 11, 31));
}

/** True when the retention period is over on `today` (the day after `retainUntil`). */
export function retentionExpired(retainUntilDate: Date, today: Date): boolean {
  return today.getTime() >= retainUntilDate.getTime() + 24 * 60 * 60 * 1000;
}
