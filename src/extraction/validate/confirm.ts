/**
 * Independent checks that confirm a value beyond one reading of the page (`confirmedBy`): the
 * totals reconcile here; the supplier's known master data and learned hints confirm in
 * `suppliers/directory.ts` and `hints/apply.ts`. A finding of severity warning or error about a
 * field undoes its confirmation: a value a check doubts is not confirmed by another.
 */
import { toMinorUnits } from '../fields/amount.js';
import type { ExtractedField, Finding } from '../types.js';

type Fields = Partial<Record<string, ExtractedField>>;

function minor(field: ExtractedField | undefined): bigint | null {
  if (!field) return null;
  try {
    return toMinorUnits(field.value);
  } catch {
    return null;
  }
}

/**
 * Net + tax = gross to the cent, with a tax that is not zero (net = gross with no tax is one number
 * read twice, not a check), confirms all three; a due amount equal to the confirmed gross too.
 */
export function confirmTotals(fields: Fields): void {
  const net = minor(fields['totals.net']);
  const tax = minor(fields['totals.tax']);
  const gross = minor(fields['totals.gross']);
  if (net === null || tax === null || gross === null || tax === 0n || net + tax !== gross) return;
  for (const name of ['totals.net', 'totals.tax', 'totals.gross']) fields[name]!.confirmedBy ??= 'totals';
  if (minor(fields['totals.due']) === gross) fields['totals.due']!.confirmedBy ??= 'totals';
}

/**
 * Removes the confirmation of every field a warning or error finding is about. The field is
 * replaced, not changed, so a record that shares its field objects with another (a correction's
 * copy of a stored result) leaves that other untouched.
 */
export function dropDoubtedConfirmations(fields: Fields, findings: readonly Finding[]): void {
  for (const finding of findings) {
    const field = finding.field ? fields[finding.field] : undefined;
    if (finding.severity === 'info' || !field?.confirmedBy) continue;
    const { confirmedBy: _, ...unconfirmed } = field;
    fields[finding.field as string] = unconfirmed;
  }
}
