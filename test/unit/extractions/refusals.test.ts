import { describe, expect, it } from 'vitest';
import { ExtractionError } from '../../../src/extraction/model.js';
import { failureReasonOf, isPermanentRefusal } from '../../../src/modules/extractions/extraction-pipeline.js';

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
