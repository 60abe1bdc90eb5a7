/** Codes for documents the engine refuses to read. */
export const EXTRACTION_ERROR_CODES = [
  'empty_file',
  'file_too_large',
  'unsupported_format',
  'corrupt_pdf',
  'encrypted_pdf',
  'corrupt_archive',
  /** ZIP64, multi-disk, encrypted entries, compression other than stored / deflate. */
  'unsupported_archive',
  /** Too many entries, declared sizes or a compression ratio beyond `archive/limits.ts` (zip bombs). */
  'archive_limit_exceeded',
  'invalid_xml',
  'xml_entities_forbidden',
  'unknown_xml_document',
  'image_too_large',
  'corrupt_image',
  /** Page content that decompresses beyond `pdf/stream-budget.ts` (PDF decompression bombs). */
  'pdf_limit_exceeded',
  'timeout',
] as const;

export type ExtractionErrorCode = (typeof EXTRACTION_ERROR_CODES)[number];

/** True for a string that is one of the engine's refusal codes. */
export function isExtractionErrorCode(code: string): code is ExtractionErrorCode {
  return (EXTRACTION_ERROR_CODES as readonly string[]).includes(code);
}

/** A clean, expected refusal: the caller can show `code` and `message` to a user. */
export class ExtractionError extends Error {
  readonly code: ExtractionErrorCode;

  constructor(code: ExtractionErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ExtractionError';
    this.code = code;
  }
}
