import type * as mupdf from 'mupdf';
import { ExtractionError } from '../errors.js';
import { readXmlInvoice, type XmlInvoice } from '../formats/xml-invoice.js';
import type { Finding } from '../types.js';
import { readXmlAttachments, type PdfAttachment } from './attachments.js';

export interface EmbeddedInvoice {
  invoice: XmlInvoice | null;
  attachmentName?: string;
  /** The attachment the invoice was read from, for the container (XMP, PDF/A-3) checks. */
  attachment?: PdfAttachment;
  findings: Finding[];
}

/** Standard attachment names, preferred in this order when a PDF carries several invoices. */
const PREFERRED = [
  /^factur-x\.xml$/i,
  /^xrechnung\.xml$/i,
  /^zugferd-invoice\.xml$/i,
  /\.isdoc$/i,
  /^order-x\.xml$/i,
];

function rank(name: string): number {
  const i = PREFERRED.findIndex((p) => p.test(name));
  return i < 0 ? PREFERRED.length : i;
}

/**
 * Reads the e-invoice XML embedded in a PDF (Factur-X / ZUGFeRD / XRechnung / ISDOC). Attachments
 * that are not invoices are ignored; broken ones and several disagreeing invoices are findings.
 */
export function readEmbeddedInvoice(doc: mupdf.PDFDocument): EmbeddedInvoice {
  const findings: Finding[] = [];
  const invoices: Array<{ name: string; invoice: XmlInvoice; attachment: PdfAttachment }> = [];
  const { attachments, unread } = readXmlAttachments(doc);
  for (const name of unread) {
    findings.push({
      code: 'embedded_xml_unread',
      severity: 'error',
      message: `attachment ${name} was not read: it is larger or more compressed than accepted, or damaged`,
    });
  }
  for (const attachment of attachments) {
    try {
      invoices.push({ name: attachment.name, invoice: readXmlInvoice(attachment.bytes), attachment });
    } catch (error) {
      if (!(error instanceof ExtractionError) || error.code === 'unknown_xml_document') {
        if (rank(attachment.name) < PREFERRED.length) findings.push(notInvoice(attachment.name, error));
        continue;
      }
      findings.push({
        code: 'embedded_xml_invalid',
        severity: 'error',
        message: `attachment ${attachment.name}: ${error.message}`,
      });
    }
  }
  if (invoices.length === 0) return { invoice: null, findings };
  invoices.sort((a, b) => rank(a.name) - rank(b.name));
  const chosen = invoices[0]!;
  if (invoices.length > 1) {
    findings.push({
      code: 'ambiguous_structured_data',
      severity: 'error',
      message: `the PDF carries ${invoices.length} invoice XMLs (${invoices.map((i) => i.name).join(', ')}); read ${chosen.name}`,
    });
  }
  return { invoice: chosen.invoice, attachmentName: chosen.name, attachment: chosen.attachment, findings };
}

function notInvoice(name: string, error: unknown): Finding {
  const reason = error instanceof Error ? error.message : 'unreadable';
  return {
    code: 'embedded_xml_not_invoice',
    severity: 'error',
    message: `attachment ${name} is not an e-invoice: ${reason}`,
  };
}
