/**
 * Limits for every archive and compressed stream the engine opens from a client's file (ISDOCX
 * containers, XML attachments and XMP metadata of PDFs), and the one bounded inflate they all use.
 * A decompression bomb is refused from what its headers declare where possible, and otherwise
 * stopped by a hard output limit that holds even when the declared sizes lie.
 */
import { constants, inflateRawSync, inflateSync } from 'node:zlib';

export interface ArchiveLimits {
  /** Entries in one archive; an ISDOCX holds the invoice, a manifest and a few attachments. */
  readonly maxEntries: number;
  /** Bytes of one entry name, extra field or entry comment in the central directory. */
  readonly maxFieldBytes: number;
  /** Bytes of the archive comment (it is searched for from the end, so this bounds that search). */
  readonly maxCommentBytes: number;
  /** Sum of the uncompressed sizes all entries declare. */
  readonly maxTotalUncompressedBytes: number;
  /** Uncompressed : compressed, per entry and for the archive as a whole. */
  readonly maxRatio: number;
  /** Outputs up to this size are not held to the ratio: tiny entries compress without bound. */
  readonly ratioExemptBytes: number;
}

/**
 * The ratio cap comes from measurement: the real e-invoices in the evaluation corpus (122 XML and
 * ISDOC files) deflated at level 9 compress at most 21:1 (the corpus's ISDOC, 63 kB; median
 * 4.6:1), PDFs at most 5.1:1, and the XML attachments of its Factur-X PDFs at most 11.2:1. 200:1
 * leaves a margin of almost ten times above the largest, while zeros deflate at about 1000:1.
 */
export const ARCHIVE_LIMITS: ArchiveLimits = Object.freeze({
  maxEntries: 64,
  maxFieldBytes: 1024,
  maxCommentBytes: 4096,
  maxTotalUncompressedBytes: 100 * 1024 * 1024,
  maxRatio: 200,
  ratioExemptBytes: 1024 * 1024,
});

/** Whether `uncompressedBytes` from `compressedBytes` is above the ratio cap. */
export function exceedsRatio(
  compressedBytes: number,
  uncompressedBytes: number,
  limits: ArchiveLimits = ARCHIVE_LIMITS,
): boolean {
  return uncompressedBytes > limits.ratioExemptBytes && uncompressedBytes > compressedBytes * limits.maxRatio;
}

export type InflateOutcome =
  | { readonly ok: true; readonly bytes: Uint8Array }
  /** `too_large`: output beyond `maxOutputBytes`; `ratio`: beyond the ratio cap; `corrupt`: bad data. */
  | { readonly ok: false; readonly reason: 'too_large' | 'ratio' | 'corrupt' };

export interface InflateOptions {
  /** `raw` deflate (ZIP method 8) or `zlib`-wrapped (PDF /FlateDecode). */
  readonly format: 'raw' | 'zlib';
  readonly maxOutputBytes: number;
  /** PDF writers sometimes cut a stream short; mupdf reads what is there, and so do we. */
  readonly allowTruncated?: boolean;
  readonly limits?: ArchiveLimits;
}

/**
 * Inflates `data` into at most `maxOutputBytes` (and at most the ratio cap times its own size).
 * zlib stops as soon as the output passes the limit, so memory stays bounded whatever the data.
 */
export function inflateBounded(data: Uint8Array, options: InflateOptions): InflateOutcome {
  const limits = options.limits ?? ARCHIVE_LIMITS;
  const ratioLimit = Math.max(limits.ratioExemptBytes, data.length * limits.maxRatio);
  const limit = Math.min(options.maxOutputBytes, ratioLimit);
  const zlibOptions = {
    maxOutputLength: Math.max(limit, 1),
    ...(options.allowTruncated ? { finishFlush: constants.Z_SYNC_FLUSH } : {}),
  };
  try {
    const out = options.format === 'raw' ? inflateRawSync(data, zlibOptions) : inflateSync(data, zlibOptions);
    if (out.length > limit)
      return { ok: false, reason: limit < options.maxOutputBytes ? 'ratio' : 'too_large' };
    return { ok: true, bytes: out };
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE')
      return { ok: false, reason: limit < options.maxOutputBytes ? 'ratio' : 'too_large' };
    return { ok: false, reason: 'corrupt' };
  }
}
