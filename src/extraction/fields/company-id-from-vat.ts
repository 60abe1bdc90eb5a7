/**
 * Company registration numbers that are part of the VAT ID by law, so a printed VAT ID also
 * names the company: the French TVA intracommunautaire is FR + 2 check digits + SIREN; the Czech
 * DIČ of a legal person is CZ + IČO (8 digits; 9-10 digits are personal numbers, not company ids);
 * the Belgian VAT number is BE + the 10-digit enterprise number. Elsewhere the two differ (DE
 * USt-IdNr vs Handelsregister, PL NIP vs KRS) and nothing is derived.
 */
export function companyIdFromVatId(vatId: string): string | null {
  const id = vatId.toUpperCase().replace(/[\s.-]/g, '');
  let m = id.match(/^FR[0-9A-Z]{2}(\d{9})$/);
  if (m) return m[1]!;
  m = id.match(/^CZ(\d{8})$/);
  if (m) return m[1]!;
  m = id.match(/^BE(0?\d{9})$/);
  if (m) return m[1]!.padStart(10, '0');
  return null;
}
