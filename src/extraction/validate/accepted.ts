/**
 * Identity values a person already accepted for the document's supplier: the VAT IDs and company
 * id its validated documents (the supplier directory) or its profile (a person's corrections)
 * hold. A format or checksum problem of such a value was in front of a person before, who kept the
 * value as the supplier's own (a test placeholder, or an id the check does not know); the same
 * value again is recorded at severity info, and no longer undoes its confirmation or blocks
 * automation. Only identities: an IBAN that fails its checksum, totals that do not add up, a
 * changed bank account or a duplicate are about money and stay what they are, every time.
 */
import { idKey } from '../fields/ids.js';
import type { FieldName } from '../types.js';

/** The fields whose format and checksum findings an earlier acceptance settles. */
export const IDENTITY_FIELDS = ['seller.vatId', 'seller.companyId', 'buyer.vatId'] as const;
export type IdentityField = (typeof IDENTITY_FIELDS)[number];

/** Per identity field, the accepted values (compared by `idKey`) and who accepted them. */
export type AcceptedIdentities = Map<IdentityField, Map<string, string>>;

export function isIdentityField(field: FieldName | string): field is IdentityField {
  return (IDENTITY_FIELDS as readonly string[]).includes(field);
}

/**
 * Records that `value` of `field` was accepted, by `where` ("the validated documents of Muster
 * GmbH"): the first record of a value is kept, the directory and the profile say the same thing.
 */
export function accept(
  accepted: AcceptedIdentities,
  field: IdentityField,
  value: string | undefined,
  where: string,
): void {
  const key = idKey(value);
  if (!key) return;
  const values = accepted.get(field) ?? new Map<string, string>();
  if (!values.has(key)) values.set(key, where);
  accepted.set(field, values);
}

/** Where `value` of `field` was accepted before, or null when it was not. */
export function acceptedWhere(accepted: AcceptedIdentities, field: string, value: string): string | null {
  if (!isIdentityField(field)) return null;
  return accepted.get(field)?.get(idKey(value)) ?? null;
}

/** The code of a format or checksum finding about an accepted value: the problem stays named. */
export const acceptedCode = (code: string): string => `${code}_accepted_before`;

/** Whether a finding is such an accepted problem (`acceptedCode`). */
export const isAcceptedCode = (code: string): boolean => code.endsWith('_accepted_before');
