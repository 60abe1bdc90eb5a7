/**
 * E-invoice renderings of a validated extraction for ERPs and Peppol access points: UBL 2.1, CII
 * D16B and ISDOC 6.0.2 (`extraction/export`). A document whose data do not meet EN 16931 is not
 * exported as an e-invoice that claims it: the caller gets 422 with the business terms that are
 * missing (`missing`, BT-/BG- numbers) and the rules the data break (`rules`), and can still take
 * the JSON export, which carries the same `conformance` answer.
 */
import { AppError } from '../../core/errors.js';
import {
  conformanceOf,
  EINVOICE_MEDIA_TYPES,
  exportEInvoice,
  type Conformance,
  type EInvoiceFormat,
} from '../../extraction/export/index.js';
import type { ExtractionResult } from '../../extraction/model.js';

export const EINVOICE_FORMATS = ['ubl', 'cii', 'isdoc'] as const satisfies readonly EInvoiceFormat[];

export class NotConformantError extends AppError {
  constructor(format: EInvoiceFormat, conformance: Conformance) {
    const parts = [
      conformance.missing.length ? `missing ${conformance.missing.join(', ')}` : '',
      conformance.rules.length ? `breaks ${conformance.rules.join(', ')}` : '',
    ].filter(Boolean);
    super(
      422,
      'not_conformant',
      'Not a conformant e-invoice',
      `The extraction cannot be exported as EN 16931 ${format.toUpperCase()}: ${parts.join('; ')}.`,
      { format, missing: conformance.missing, rules: conformance.rules },
    );
  }
}

/** The document as a conformant e-invoice, or `NotConformantError`. */
export function renderEInvoice(
  result: ExtractionResult,
  format: EInvoiceFormat,
): { body: string; contentType: string } {
  const { xml, conformance } = exportEInvoice(result, format);
  if (!conformance.en16931) throw new NotConformantError(format, conformance);
  return { body: xml, contentType: `${EINVOICE_MEDIA_TYPES[format]}; charset=utf-8` };
}

/** The `conformance` member of the JSON export: what a UBL / CII / ISDOC export would claim. */
export function conformanceSummary(result: ExtractionResult): {
  en16931: boolean;
  peppol: boolean;
  missing: string[];
  rules: string[];
} {
  const c = conformanceOf(result);
  return { en16931: c.en16931, peppol: c.peppol, missing: c.missing, rules: c.rules };
}
