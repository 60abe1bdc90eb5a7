/**
 * E-invoice exports of a stored extraction: UBL 2.1, CII D16B and ISDOC 6.0.2. Pure functions of
 * the result; the API decides what to answer when the data do not meet EN 16931.
 */
import { parseXmlSecure } from '../formats/xml-parse.js';
import type { ExtractionResult } from '../types.js';
import { validateEn16931 } from '../validate/en16931/index.js';
import { writeCii } from './cii.js';
import { checkConformance, type Conformance } from './conformance.js';
import { einvoiceOf } from './from-result.js';
import { writeIsdoc } from './isdoc.js';
import { writeUbl } from './ubl.js';

export type EInvoiceFormat = 'ubl' | 'cii' | 'isdoc';

/** None of the three syntaxes has a registered media type of its own; all are served as XML (RFC 7303). */
export const EINVOICE_MEDIA_TYPES: Record<EInvoiceFormat, string> = {
  ubl: 'application/xml',
  cii: 'application/xml',
  isdoc: 'application/xml',
};

export type { Conformance } from './conformance.js';

/**
 * The export is checked by Doklad's own EN 16931 validator as a receiver would check it: an
 * error finding withdraws the claim, so the exports can never claim more than the checks allow
 * (and grow stricter with them).
 */
function withValidatorFindings(xml: string, conformance: Conformance): Conformance {
  const { root, rootName, text } = parseXmlSecure(new TextEncoder().encode(xml));
  const errors = validateEn16931(root, rootName, text).filter((f) => f.severity === 'error');
  if (errors.length === 0) return conformance;
  const rules = [...new Set(errors.map((f) => f.code.replace(/^en16931_/, '')))];
  return { ...conformance, en16931: false, peppol: false, rules: [...conformance.rules, ...rules] };
}

/** What the data allow an export of this result to claim (the UBL rendering, checked as it is written). */
export function conformanceOf(result: ExtractionResult): Conformance {
  return exportEInvoice(result, 'ubl').conformance;
}

/**
 * The export and the conformance it rests on; serve it only when `conformance.en16931`. ISDOC has
 * no EN 16931 rule set of its own, so its claim rests on the UBL rendering of the same model.
 */
export function exportEInvoice(
  result: ExtractionResult,
  format: EInvoiceFormat,
): { xml: string; conformance: Conformance } {
  const inv = einvoiceOf(result);
  const checked = checkConformance(inv);
  if (format === 'isdoc') {
    const conformance = checked.en16931 ? withValidatorFindings(writeUbl(inv, checked), checked) : checked;
    return { xml: writeIsdoc(inv), conformance };
  }
  const xml = format === 'ubl' ? writeUbl(inv, checked) : writeCii(inv, checked);
  return { xml, conformance: checked.en16931 ? withValidatorFindings(xml, checked) : checked };
}
