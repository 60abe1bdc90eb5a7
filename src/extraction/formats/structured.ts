import { parseAmount } from '../fields/amount.js';
import { parseDate } from '../fields/date.js';
import { normaliseId } from '../fields/ids.js';
import type { ExtractedField, FieldName, Finding, InvoiceLine, VatBreakdownRow } from '../types.js';

/** What an XML reader found, before normalisation. */
export interface RawInvoice {
  typeCode?: string;
  values: Partial<Record<FieldName, string | undefined>>;
  vatBreakdown: VatBreakdownRow[];
  lines: InvoiceLine[];
}

export interface StructuredInvoice {
  documentType: 'invoice' | 'credit_note' | 'unknown';
  fields: Partial<Record<FieldName, ExtractedField>>;
  vatBreakdown: VatBreakdownRow[];
  lines: InvoiceLine[];
  findings: Finding[];
}

/** UNTDID 1001 codes that denote credit notes; every other code is an invoice. */
const CREDIT_NOTE_CODES = new Set([
  '381',
  '396',
  '81',
  '83',
  '261',
  '262',
  '296',
  '308',
  '420',
  '458',
  '532',
]);

export function documentTypeFromCode(code: string | undefined): 'invoice' | 'credit_note' | 'unknown' {
  if (!code) return 'unknown';
  return CREDIT_NOTE_CODES.has(code) ? 'credit_note' : 'invoice';
}

const DATE_FIELDS = new Set<FieldName>(['issueDate', 'dueDate']);
const AMOUNT_FIELDS = new Set<FieldName>(['totals.net', 'totals.tax', 'totals.gross', 'totals.due']);
const ID_FIELDS = new Set<FieldName>(['seller.vatId', 'buyer.vatId', 'payment.iban']);

/** XML values are exact by construction; the little doubt left is for normalisation. */
const XML_CONFIDENCE = 0.99;

function normaliseValue(name: FieldName, raw: string): string | null {
  // xsd:date may carry a time zone (2016-04-04+01:00); the calendar date is what the invoice means.
  if (DATE_FIELDS.has(name)) return parseDate(raw.replace(/^(\d{4}-\d{2}-\d{2})(Z|[+-]\d{2}:\d{2})$/, '$1'));
  if (AMOUNT_FIELDS.has(name))
    return /^[-+]?\d+(\.\d+)?$/.test(raw) ? raw.replace(/^\+/, '') : parseAmount(raw);
  if (ID_FIELDS.has(name)) return normaliseId(raw);
  if (name === 'currency') return raw.toUpperCase();
  return raw.replace(/\s+/g, ' ').trim();
}

/** Normalises what a reader found into fields with source `xml`, with findings for unreadable values. */
export function toStructuredInvoice(
  raw: RawInvoice,
  documentType?: StructuredInvoice['documentType'],
): StructuredInvoice {
  const fields: StructuredInvoice['fields'] = {};
  const findings: Finding[] = [];
  for (const [name, value] of Object.entries(raw.values) as Array<[FieldName, string | undefined]>) {
    if (value === undefined || value === '') continue;
    const normalised = normaliseValue(name, value);
    if (normalised === null) {
      findings.push({
        code: 'unreadable_value',
        severity: 'warning',
        field: name,
        message: `cannot read ${name} "${value.slice(0, 40)}"`,
      });
      continue;
    }
    fields[name] = { value: normalised, confidence: XML_CONFIDENCE, source: 'xml' };
  }
  for (const name of ['invoiceNumber', 'issueDate', 'currency', 'totals.gross'] as const) {
    if (!fields[name])
      findings.push({
        code: 'missing_field',
        severity: 'warning',
        field: name,
        message: `the XML does not give ${name}`,
      });
  }
  for (const name of AMOUNT_FIELDS) {
    const value = fields[name]?.value;
    if (value && /\.\d{3,}$/.test(value)) {
      findings.push({
        code: 'amount_precision',
        severity: 'warning',
        field: name,
        message: `${name} has more than two decimals (${value})`,
      });
    }
  }
  return {
    documentType: documentType ?? documentTypeFromCode(raw.typeCode),
    fields,
    vatBreakdown: raw.vatBreakdown,
    lines: raw.lines,
    findings,
  };
}
