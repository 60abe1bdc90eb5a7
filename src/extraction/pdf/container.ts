import type * as mupdf from 'mupdf';
import type { Finding } from '../types.js';
import { checkHybridContainer } from '../validate/facturx-container.js';
import type { PdfAttachment } from './attachments.js';
import { readStreamBounded } from './bounded-stream.js';

/** XMP packets are a few kB; a bound keeps a hostile metadata stream from costing time. */
const MAX_XMP_BYTES = 1024 * 1024;

/** The catalog's XMP metadata stream as text, or undefined when absent or unreadable. */
function readXmp(doc: mupdf.PDFDocument): string | undefined {
  try {
    const metadata = doc.getTrailer().get('Root').get('Metadata');
    if (!metadata.isStream()) return undefined;
    const bytes = readStreamBounded(metadata, MAX_XMP_BYTES);
    return bytes && new TextDecoder('utf-8').decode(bytes);
  } catch {
    return undefined;
  }
}

/** PDF/A: the header line is followed by a comment with at least four bytes above 127. */
function hasBinaryHeaderComment(bytes: Uint8Array): boolean {
  let i = bytes.indexOf(0x0a);
  const cr = bytes.indexOf(0x0d);
  if (cr >= 0 && (i < 0 || cr < i)) i = cr;
  if (i < 0 || i > 1024) return false;
  while (bytes[i] === 0x0a || bytes[i] === 0x0d) i++;
  if (bytes[i] !== 0x25) return false;
  return [...bytes.subarray(i + 1, i + 5)].every((b) => b > 127);
}

function hasTrailerId(doc: mupdf.PDFDocument): boolean {
  try {
    return doc.getTrailer().get('ID').isArray();
  } catch {
    return false;
  }
}

/** The XML's specification identifier (BT-24), read without a second parse. */
function specIdOf(xml: Uint8Array): string | undefined {
  const head = new TextDecoder('utf-8').decode(xml.subarray(0, 8192));
  return head.match(/GuidelineSpecifiedDocumentContextParameter>\s*<(?:[\w.-]+:)?ID>\s*([^<\s]*)/)?.[1];
}

/** Checks the PDF around an embedded invoice: XMP, PDF/A identification, file specification. */
export function checkPdfContainer(
  doc: mupdf.PDFDocument,
  bytes: Uint8Array,
  attachment: PdfAttachment,
): Finding[] {
  return checkHybridContainer({
    xmp: readXmp(doc),
    hasBinaryHeaderComment: hasBinaryHeaderComment(bytes),
    hasTrailerId: hasTrailerId(doc),
    attachmentName: attachment.name,
    afRelationship: attachment.afRelationship,
    mimeType: attachment.mimeType,
    specId: specIdOf(attachment.bytes),
  });
}
