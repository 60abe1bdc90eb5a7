import { describe, expect, it } from 'vitest';
import { ExtractionError } from '../../../src/extraction/model.js';
import {
  failureReasonOf,
  INTERNAL_FAILURE_REASON,
  isPermanentRefusal,
} from '../../../src/modules/extractions/extractions.failures.js';

describe('engine refusals in the pipeline', () => {
  it('never retries an archive refusal (zip bomb, unsupported or corrupt archive), only a timeout', () => {
    for (const code of ['archive_limit_exceeded', 'unsupported_archive', 'corrupt_archive'] as const)
      expect(isPermanentRefusal(new ExtractionError(code, 'x'))).toBe(true);
    expect(isPermanentRefusal(new ExtractionError('timeout', 'x'))).toBe(false);
    expect(isPermanentRefusal(new Error('connection reset'))).toBe(false);
  });

  it("stores a refusal as its stable code and the engine's own message, without stack or cause", () => {
    const cause = new Error('at /srv/app/node_modules/zlib.js:1');
    const error = new ExtractionError(
      'archive_limit_exceeded',
      'the archive has 100 entries; at most 64 are accepted',
      { cause },
    );
    expect(failureReasonOf(error)).toBe(
      'archive_limit_exceeded: the archive has 100 entries; at most 64 are accepted',
    );
  });
});

describe('failure reasons of errors that are not engine refusals', () => {
  it('stores them as internal_error, without query context, source paths or container names', () => {
    const prisma = new Error(
      'Invalid `prisma.extraction.create()` invocation in\n/srv/app/src/modules/extractions/extractions.repo.ts:88:5\n' +
        'invalid byte sequence for encoding "UTF8": 0x00',
    );
    const blob = new Error('The specified blob does not exist. Container: tenant-7f3c-eu, RequestId: 1234');
    for (const error of [prisma, blob, 'a string', undefined])
      expect(failureReasonOf(error)).toBe(INTERNAL_FAILURE_REASON);
  });

  it('keeps a refusal message that quotes the document printable and bounded', () => {
    const reason = failureReasonOf(
      new ExtractionError('unknown_xml_document', `root <a\u0000b${'x'.repeat(1000)}>`),
    );
    expect(reason).toMatch(/^unknown_xml_document: root <a b/);
    expect(reason).not.toContain('\u0000');
    expect(reason.length).toBeLessThan(400);
  });
});
