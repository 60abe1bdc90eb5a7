import type * as mupdf from 'mupdf';
import { inflateBounded } from '../archive/limits.js';

/** The single filter of a stream (`/F` or `[/F]`), null for none, undefined for a chain or anything else. */
function singleFilter(stream: mupdf.PDFObject): string | null | undefined {
  let filter = stream.get('Filter');
  if (filter.isArray()) {
    if (filter.length === 0) return null;
    if (filter.length !== 1) return undefined;
    filter = filter.get(0);
  }
  if (filter.isNull()) return null;
  return filter.isName() ? filter.asName() : undefined;
}

function hasPredictor(stream: mupdf.PDFObject): boolean {
  let params = stream.get('DecodeParms');
  if (params.isArray()) params = params.length === 1 ? params.get(0) : params;
  if (params.isNull()) return false;
  const predictor = params.isDictionary() ? params.get('Predictor') : params;
  return !(predictor.isNull() || (predictor.isNumber() && predictor.asNumber() <= 1));
}

/**
 * The decoded content of a PDF stream the engine reads itself (embedded XML attachments, XMP
 * metadata), within the archive limits: at most `maxBytes` and the ratio cap of `limits.ts`.
 * mupdf's own `readStream` would decode all of it into WASM memory before we could look at its
 * size, so the raw bytes are read and inflated here. Only what real writers use is read (no
 * filter, or /FlateDecode without a predictor; measured on the corpus' Factur-X PDFs); undefined
 * for anything else, for a stream over the limits and for damaged data.
 */
export function readStreamBounded(stream: mupdf.PDFObject, maxBytes: number): Uint8Array | undefined {
  // The indirect reference, not its resolved dictionary, is what mupdf reads stream data from.
  if (!stream.isStream()) return undefined;
  const filter = singleFilter(stream);
  if (filter === undefined || (filter !== null && filter !== 'FlateDecode') || hasPredictor(stream))
    return undefined;
  const buffer = stream.readRawStream();
  try {
    // The raw bytes are at most the PDF's size; only what they decode to needs a limit.
    if (filter === null) return buffer.getLength() > maxBytes ? undefined : buffer.asUint8Array().slice();
    const outcome = inflateBounded(buffer.asUint8Array(), {
      format: 'zlib',
      maxOutputBytes: maxBytes,
      allowTruncated: true,
    });
    return outcome.ok ? outcome.bytes : undefined;
  } finally {
    buffer.destroy();
  }
}
