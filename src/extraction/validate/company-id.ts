/** Czech IČO (and Slovak IČO, same scheme): 8 digits, weighted mod-11 check digit. */
export function isValidIco(ico: string): boolean {
  if (!/^\d{8}$/.test(ico)) return false;
  let sum = 0;
  for (let i = 0; i < 7; i++) sum += Number(ico[i]) * (8 - i);
  const check = (11 - (sum % 11)) % 10;
  return check === Number(ico[7]);
}

/** The Luhn check (every second digit from the right doubled) the French SIREN and the Italian VAT number carry. */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

/**
 * A French SIRET: the 9-digit SIREN (Luhn check digit) and a 5-digit establishment number. Only
 * the SIREN's check is required: the 14 digits pass Luhn as well except for La Poste's
 * establishments (and for many sample numbers), and the SIREN is what identifies the company.
 */
export function isSiretShaped(siret: string): boolean {
  return /^\d{14}$/.test(siret) && !/^0+$/.test(siret) && passesLuhn(siret.slice(0, 9));
}
