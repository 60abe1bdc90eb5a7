import * as mupdf from 'mupdf';
import { ExtractionError } from '../errors.js';
import type { Finding } from '../types.js';

export interface OpenedPdf {
  doc: mupdf.PDFDocument;
  pageCount: number;
  findings: Finding[];
}

/**
 * Opens PDF bytes with mupdf, turning its failures into clean error codes: a file without
 * xref or pages is `corrupt_pdf`, one that needs a password is `encrypted_pdf`.
 */
export function openPdf(bytes: Uint8Array): OpenedPdf {
  let doc: mupdf.PDFDocument | null;
  let pageCount: number;
  try {
    doc = mupdf.Document.openDocument(bytes, 'application/pdf').asPDF();
    if (!doc) throw new Error('not a PDF document');
    pageCount = doc.countPages();
  } catch (error) {
    throw new ExtractionError('corrupt_pdf', 'the PDF cannot be opened (damaged or truncated)', {
      cause: error,
    });
  }
  if (doc.needsPassword()) {
    doc.destroy();
    throw new ExtractionError('encrypted_pdf', 'the PDF is password-protected');
  }
  if (pageCount < 1) {
    doc.destroy();
    throw new ExtractionError('corrupt_pdf', 'the PDF has no pages');
  }
  const findings: Finding[] = [];
  if (doc.wasRepaired()) {
    findings.push({
      code: 'pdf_repaired',
      severity: 'warning',
      message: 'the PDF structure was damaged and had to be repaired',
    });
  }
  return { doc, pageCount, findings };
}
