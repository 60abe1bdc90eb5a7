import { normaliseId } from '../fields/ids.js';
import type { EAddress, EIdentifier } from '../einvoice.js';
import { attr, text } from './xml-nav.js';
import type { XmlNode } from './xml-parse.js';

/** Shared pieces of the EN 16931 model readers (`ubl-einvoice.ts`, `cii-einvoice.ts`, `isdoc-einvoice.ts`). */

/** A VAT identifier as the standard writes it: prefix and digits, no spaces, dots or dashes. */
export function normaliseVatId(raw: string | undefined): string | undefined {
  return raw ? normaliseId(raw) : undefined;
}

export function identifier(node: XmlNode | undefined, schemeAttribute = 'schemeID'): EIdentifier | undefined {
  const id = text(node);
  if (!id) return undefined;
  const scheme = attr(node, schemeAttribute);
  return scheme ? { id, scheme } : { id };
}

/** Drops undefined members so two models compare equal whatever reader built them. */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export function addressOrUndefined(address: EAddress): EAddress | undefined {
  const a = compact(address);
  return a.lines.length || a.city || a.postcode || a.country || a.subdivision ? a : undefined;
}

/** CII / ZUGFeRD dates are `YYYYMMDD` (format 102); the model keeps ISO dates like UBL. */
export function isoDate(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(raw);
  if (m) return `${m[1]}-${m[2]}-${m[3]}`;
  return /^\d{4}-\d{2}-\d{2}/.test(raw) ? raw.slice(0, 10) : raw;
}
