import type * as mupdf from 'mupdf';
import { readStreamBounded } from './bounded-stream.js';

export interface PdfAttachment {
  name: string;
  bytes: Uint8Array;
  /** PDF/A-3 /AFRelationship of the file specification (Data, Alternative, Source, ...), without the slash. */
  afRelationship?: string;
  /** MIME type from the embedded file stream's /Subtype (text/xml), decoded. */
  mimeType?: string;
}

/** A PDF name object as text without the leading slash (#2F escapes decoded), or undefined. */
function nameValue(obj: mupdf.PDFObject): string | undefined {
  if (!obj.isName()) return undefined;
  return obj
    .asName()
    .replace(/#([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function embeddedStream(spec: mupdf.PDFObject): mupdf.PDFObject {
  const ef = spec.resolve().get('EF');
  return ef.get('F').isNull() ? ef.get('UF') : ef.get('F');
}

/** Hybrid invoices keep at most a few attachments; more is unusual and bounded for safety. */
const MAX_ATTACHMENTS = 50;
const MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024;

function collectFileSpecs(doc: mupdf.PDFDocument): mupdf.PDFObject[] {
  const specs: mupdf.PDFObject[] = Object.values(doc.getEmbeddedFiles());
  // PDF/A-3 names the invoice in the catalog's /AF array too; some writers only do that.
  const af = doc.getTrailer().get('Root').get('AF');
  if (af.isArray()) {
    for (let i = 0; i < af.length && specs.length < MAX_ATTACHMENTS * 2; i++) specs.push(af.get(i));
  }
  return specs;
}

/** Identity of the embedded stream, so one file reached twice is read once. */
function specKey(spec: mupdf.PDFObject): string {
  const stream = embeddedStream(spec);
  return stream.isIndirect()
    ? `ref:${stream.asIndirect()}`
    : `obj:${spec.resolve().toString(true).slice(0, 200)}`;
}

export interface XmlAttachments {
  readonly attachments: PdfAttachment[];
  /** Names of XML attachments not read: over the archive limits, or in an encoding we do not decode. */
  readonly unread: string[];
}

/** XML files embedded in the PDF (EmbeddedFiles name tree and catalog /AF), deduplicated. */
export function readXmlAttachments(doc: mupdf.PDFDocument): XmlAttachments {
  const seen = new Set<string>();
  const out: PdfAttachment[] = [];
  const unread: string[] = [];
  for (const spec of collectFileSpecs(doc)) {
    if (out.length >= MAX_ATTACHMENTS) break;
    try {
      if (!doc.isEmbeddedFile(spec)) continue;
      const params = doc.getFilespecParams(spec);
      const name = params.filename ?? '';
      // The name tree and /AF usually point at the same file specification.
      const key = `${specKey(spec)}|${name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const isXml = /\.(xml|isdoc)$/i.test(name) || /xml/i.test(params.mimetype ?? '');
      if (!isXml) continue;
      // Decoded within the archive limits (size and ratio), never whole into mupdf's memory first.
      const bytes = readStreamBounded(embeddedStream(spec), MAX_ATTACHMENT_BYTES);
      if (!bytes) {
        unread.push(name);
        continue;
      }
      out.push({
        name,
        bytes,
        afRelationship: nameValue(spec.resolve().get('AFRelationship')),
        mimeType: nameValue(embeddedStream(spec).resolve().get('Subtype')),
      });
    } catch {
      // A broken file specification is skipped; the page content is still read.
    }
  }
  return { attachments: out, unread };
}
