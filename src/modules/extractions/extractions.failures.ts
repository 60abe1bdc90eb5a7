/**
 * How the pipeline judges a failed extraction attempt: whether a retry could change the engine's
 * answer, and the failure reason stored on the document (shown by the API and sent in
 * `document.failed` webhooks).
 */
import { ExtractionError, type ExtractionErrorCode } from '../../extraction/model.js';

/**
 * Whether a retry could change the engine's answer, for every refusal code: a `Record` over the
 * code type, so a new code cannot be added without deciding (a zip bomb retried three times would
 * cost three times). Permanent refusals mark the document failed at once.
 */
const IS_RETRYABLE: Record<ExtractionErrorCode, boolean> = {
  empty_file: false,
  file_too_large: false,
  unsupported_format: false,
  corrupt_pdf: false,
  encrypted_pdf: false,
  corrupt_archive: false,
  unsupported_archive: false,
  archive_limit_exceeded: false,
  invalid_xml: false,
  xml_entities_forbidden: false,
  unknown_xml_document: false,
  image_too_large: false,
  corrupt_image: false,
  pdf_limit_exceeded: false,
  timeout: true,
};

/** An engine refusal that no retry can change. */
export function isPermanentRefusal(error: unknown): error is ExtractionError {
  return error instanceof ExtractionError && IS_RETRYABLE[error.code] === false;
}

/** The reason stored for a failure that is not an engine refusal; the error itself is logged. */
export const INTERNAL_FAILURE_REASON = 'internal_error: the document could not be processed';

const MAX_REASON_MESSAGE_CHARS = 300;

/**
 * The failure reason stored on the document: an engine refusal as `code: message` (its stable
 * code and its own short message, which never holds paths or stack traces, printable and bounded
 * because it may quote the document). Any other error (database, blob store, a bug) is only
 * `internal_error`: its message carries query context, source paths and container names, which
 * stay in the worker's log.
 */
export function failureReasonOf(error: unknown): string {
  if (!(error instanceof ExtractionError)) return INTERNAL_FAILURE_REASON;
  const message = error.message
    .toWellFormed()
    // eslint-disable-next-line no-control-regex -- removing control characters is the point
    .replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ')
    .slice(0, MAX_REASON_MESSAGE_CHARS);
  return `${error.code}: ${message}`;
}
