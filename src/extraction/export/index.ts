/**
 * E-invoice exports of a stored extraction: UBL 2.1, CII D16B and ISDOC 6.0.2. Pure functions of
 * the result; the API decides what to answer when the data do not meet EN 16931.
 */
import type { ExtractionResult } from '../types.js';
import { writeCii } from './cii.js';
import { checkConformance, type Conformance } from './conformance.js';
import { einvoiceOf } from './from-result.js';
import { writeIsdoc } from './isdoc.js';
import { writeUbl } from './ubl.js';

export type EInvoiceFormat = 'ubl' | 'cii' | 'isdoc';

export const EINVOICE_MEDIA_TYPES: Record<EInvoiceFormat, string> = {
  ubl: 'application/xml',
  cii: 'application/xml',
  isdoc: 'application/x-isdoc+xml',
};

export type { Conformance } from './conformance.js';

/** What the data allow an export of this result to claim. */
export function conformanceOf(result: ExtractionResult): Conformance {
  return checkConformance(einvoiceOf(result));
}

/** The export and the conformance it rests on; write it only when `conformance.en16931`. */
export function exportEInvoice(
  result: ExtractionResult,
  format: EInvoiceFormat,
): { xml: string; conformance: Conformance } {
  const inv = einvoiceOf(result);
  const conformance = checkConformance(inv);
  const xml =
    format === 'ubl'
      ? writeUbl(inv, conformance)
      : format === 'cii'
        ? writeCii(inv, conformance)
        : writeIsdoc(inv);
  return { xml, conformance };
}
