/**
 * A cheap pre-check of the pages the engine will read, before mupdf interprets or renders any of
 * them: a PDF decompression bomb (a 1 MB content stream inflating to 1 GB of zeros cost 38 s of
 * CPU per attempt) is refused in milliseconds with a clear reason, instead of tying up an
 * extraction slot until the timeout and then again on every retry.
 *
 * Every content stream mupdf would run for a page (its /Contents, Form XObjects and tiling
 * patterns it uses, annotation appearances, Type 3 glyphs) and every embedded font program and
 * ToUnicode CMap it would load is inflated here with node:zlib's hard output limit,
 * and the decoded bytes of all of them are held to one budget; image XObjects are held to the
 * pixel cap by their declared size, which is what decoding them allocates.
 */
import type * as mupdf from 'mupdf';
import { inflateBounded } from '../archive/limits.js';
import { ExtractionError } from '../errors.js';
import { MAX_IMAGE_PIXELS } from '../ocr/image-size.js';

export interface PdfStreamLimits {
  /** Decoded bytes of all content streams of the pages read; real invoices use well under 1 MB a page. */
  readonly maxContentBytes: number;
  /** Content streams, forms, patterns and appearances visited, so a deep or wide object graph is bounded too. */
  readonly maxStreams: number;
  readonly maxImagePixels: number;
}

export const PDF_STREAM_LIMITS: PdfStreamLimits = Object.freeze({
  maxContentBytes: 64 * 1024 * 1024,
  maxStreams: 10_000,
  maxImagePixels: MAX_IMAGE_PIXELS,
});

/**
 * How far each filter can expand its input at most, for filters not inflated here: LZW emits up
 * to 4096 bytes per 9-bit code, RunLength 128 bytes per 2, the ASCII ones shrink.
 */
const MAX_EXPANSION: Readonly<Record<string, number>> = {
  LZWDecode: 3641,
  RunLengthDecode: 64,
  ASCIIHexDecode: 1,
  ASCII85Decode: 1,
};

/** PDF white space (ISO 32000 7.2.3) and the delimiters that may end a token before an operator. */
const isWhiteSpace = (byte: number): boolean =>
  byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09 || byte === 0x0c || byte === 0x00;
const isDelimiter = (byte: number): boolean =>
  isWhiteSpace(byte) || byte === 0x29 || byte === 0x3e || byte === 0x5d || byte === 0x7d;

const refuse = (message: string): never => {
  throw new ExtractionError('pdf_limit_exceeded', message);
};

function filtersOf(stream: mupdf.PDFObject): string[] {
  const filter = stream.get('Filter');
  if (filter.isName()) return [filter.asName()];
  if (!filter.isArray()) return [];
  const names: string[] = [];
  for (let i = 0; i < filter.length; i++) {
    const item = filter.get(i);
    names.push(item.isName() ? item.asName() : '?');
  }
  return names;
}

class PageWalker {
  private contentBytes = 0;
  private streams = 0;
  private readonly seen = new Set<number>();

  constructor(private readonly limits: PdfStreamLimits) {}

  /** Counts a content stream's decoded size against the budget, inflating it with a hard limit. */
  private content(stream: mupdf.PDFObject, runsAsContent = true): void {
    if (!stream.isStream()) return;
    const remaining = this.limits.maxContentBytes - this.contentBytes;
    const filters = filtersOf(stream);
    const raw = stream.readRawStream();
    try {
      const bytes = raw.asUint8Array();
      let decoded: number;
      if (filters.length === 1 && (filters[0] === 'FlateDecode' || filters[0] === 'Fl')) {
        const outcome = inflateBounded(bytes, {
          format: 'zlib',
          maxOutputBytes: remaining + 1,
          allowTruncated: true,
          limits: NO_RATIO,
        });
        decoded = outcome.ok ? outcome.bytes.length : outcome.reason === 'corrupt' ? 0 : remaining + 1;
        if (outcome.ok && runsAsContent) this.inlineImages(outcome.bytes);
      } else if (filters.length === 0) {
        decoded = bytes.length;
        if (runsAsContent) this.inlineImages(bytes);
      } else {
        // Chains and other filters are bounded by what they can produce at most.
        const expansion = filters.reduce((product, name) => product * (MAX_EXPANSION[name] ?? 1032), 1);
        decoded = bytes.length * expansion;
      }
      this.contentBytes += decoded;
    } finally {
      raw.destroy();
    }
    if (this.contentBytes > this.limits.maxContentBytes)
      refuse(`the PDF's page content decompresses to more than ${this.limits.maxContentBytes} bytes`);
  }

  /**
   * Inline images (`BI <dict> ID <data> EI`) in decoded content: their declared size is what
   * rendering allocates, so it is held to the pixel cap like an image XObject's.
   */
  private inlineImages(content: Uint8Array): void {
    const buffer = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
    for (let at = buffer.indexOf('BI'); at !== -1; at = buffer.indexOf('BI', at + 2)) {
      const before = at === 0 ? 0x20 : buffer[at - 1]!;
      if (!isDelimiter(before) || !isWhiteSpace(buffer[at + 2] ?? 0)) continue;
      const head = buffer.subarray(at + 2, at + 2 + 4096).toString('latin1');
      const end = head.search(/\sID\s/);
      const dict = end === -1 ? head : head.slice(0, end);
      const width = Number(/\/(?:W|Width)\s+(\d+)/.exec(dict)?.[1] ?? 0);
      const height = Number(/\/(?:H|Height)\s+(\d+)/.exec(dict)?.[1] ?? 0);
      this.checkPixels(width * height);
    }
  }

  private checkPixels(pixels: number): void {
    if (pixels > this.limits.maxImagePixels)
      throw new ExtractionError('image_too_large', `a PDF image of ${pixels} pixels exceeds the limit`);
  }

  /** True the first time an indirect object is met; counts every object visited against the cap. */
  private firstVisit(object: mupdf.PDFObject): boolean {
    if (++this.streams > this.limits.maxStreams) refuse('the PDF page has too many content objects');
    if (!object.isIndirect()) return true;
    const number = object.asIndirect();
    if (this.seen.has(number)) return false;
    this.seen.add(number);
    return true;
  }

  private contents(contents: mupdf.PDFObject): void {
    if (contents.isArray()) for (let i = 0; i < contents.length; i++) this.stream(contents.get(i));
    else this.stream(contents);
  }

  private stream(stream: mupdf.PDFObject, runsAsContent = true): void {
    if (this.firstVisit(stream)) this.content(stream, runsAsContent);
  }

  private image(image: mupdf.PDFObject): void {
    const width = image.get('Width');
    const height = image.get('Height');
    this.checkPixels((width.isNumber() ? width.asNumber() : 0) * (height.isNumber() ? height.asNumber() : 0));
    const mask = image.get('SMask');
    if (mask.isStream() && this.firstVisit(mask)) this.image(mask);
  }

  /**
   * A font's embedded program and ToUnicode CMap, which mupdf loads whole into memory to show or
   * extract text, and a Type 3 font's glyph procedures, which are content streams.
   */
  private font(font: mupdf.PDFObject): void {
    const descendants = font.get('DescendantFonts');
    if (descendants.isArray() && descendants.length > 0 && this.firstVisit(descendants.get(0)))
      this.font(descendants.get(0));
    const descriptor = font.get('FontDescriptor');
    for (const key of ['FontFile', 'FontFile2', 'FontFile3'])
      if (descriptor.isDictionary()) this.stream(descriptor.get(key), false);
    this.stream(font.get('ToUnicode'), false);
    const procedures = font.get('CharProcs');
    if (procedures.isDictionary()) procedures.forEach((procedure) => this.stream(procedure));
    this.resources(font.get('Resources'));
  }

  /** The resources a content stream may run: Form XObjects and tiling patterns (recursively), images, fonts. */
  resources(resources: mupdf.PDFObject): void {
    if (!resources.isDictionary()) return;
    const fonts = resources.get('Font');
    if (fonts.isDictionary())
      fonts.forEach((font) => {
        if (font.isDictionary() && this.firstVisit(font)) this.font(font);
      });
    for (const kind of ['XObject', 'Pattern'] as const) {
      const entries = resources.get(kind);
      if (!entries.isDictionary()) continue;
      entries.forEach((entry) => {
        if (!entry.isStream() || !this.firstVisit(entry)) return;
        const subtype = entry.get('Subtype');
        if (kind === 'XObject' && subtype.isName() && subtype.asName() === 'Image') return this.image(entry);
        this.content(entry);
        this.resources(entry.get('Resources'));
      });
    }
  }

  page(page: mupdf.PDFObject): void {
    this.contents(page.get('Contents'));
    this.resources(inherited(page, 'Resources'));
    const annotations = page.get('Annots');
    if (!annotations.isArray()) return;
    for (let i = 0; i < annotations.length; i++) {
      const normal = annotations.get(i).get('AP').get('N');
      const appearances: mupdf.PDFObject[] = [];
      if (normal.isStream()) appearances.push(normal);
      else if (normal.isDictionary()) normal.forEach((state) => appearances.push(state));
      for (const appearance of appearances) {
        if (!appearance.isStream() || !this.firstVisit(appearance)) continue;
        this.content(appearance);
        this.resources(appearance.get('Resources'));
      }
    }
  }
}

/** The ratio cap does not apply here: the content budget is absolute, and small enough to hold. */
const NO_RATIO = {
  maxEntries: 0,
  maxFieldBytes: 0,
  maxCommentBytes: 0,
  maxTotalUncompressedBytes: 0,
  maxRatio: Number.MAX_SAFE_INTEGER,
  ratioExemptBytes: Number.MAX_SAFE_INTEGER,
};

/** A page attribute, inherited from the page tree when the page does not set it (ISO 32000 7.7.3.4). */
function inherited(page: mupdf.PDFObject, key: string): mupdf.PDFObject {
  let node = page;
  for (let depth = 0; depth < 64; depth++) {
    const value = node.get(key);
    if (!value.isNull()) return value;
    node = node.get('Parent');
    if (node.isNull()) break;
  }
  return page.get(key);
}

/**
 * Refuses a PDF whose first `pages` pages would make mupdf decompress more content than
 * `limits.maxContentBytes` (`pdf_limit_exceeded`) or decode an image above the pixel cap
 * (`image_too_large`). Memory stays within the budget: each stream is inflated with a hard limit.
 */
export function checkPdfStreams(doc: mupdf.PDFDocument, pages: number, limits = PDF_STREAM_LIMITS): void {
  const walker = new PageWalker(limits);
  for (let i = 0; i < pages; i++) walker.page(doc.findPage(i));
}
