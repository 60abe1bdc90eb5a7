import { unzipSync } from 'fflate';
import { ExtractionError } from '../errors.js';
import { MAX_XML_BYTES } from './xml-parse.js';

/**
 * Returns the `.isdoc` document inside an ISDOCX (zip) container. Entry sizes declared in the
 * central directory are checked before inflating, so a zip bomb is refused, not expanded.
 */
export function unpackIsdocx(bytes: Uint8Array): Uint8Array {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, {
      filter: (file) => {
        if (!/\.isdoc$/i.test(file.name)) return false;
        if (file.originalSize > MAX_XML_BYTES)
          throw new ExtractionError('file_too_large', 'ISDOC inside ISDOCX is too large');
        return true;
      },
    });
  } catch (error) {
    if (error instanceof ExtractionError) throw error;
    throw new ExtractionError('corrupt_archive', 'ISDOCX container cannot be read', { cause: error });
  }
  const names = Object.keys(files).sort((a, b) => a.split('/').length - b.split('/').length);
  const first = names[0];
  if (!first) throw new ExtractionError('corrupt_archive', 'ISDOCX container holds no .isdoc document');
  const xml = files[first]!;
  // The declared size can lie; check what came out as well.
  if (xml.length > MAX_XML_BYTES)
    throw new ExtractionError('file_too_large', 'ISDOC inside ISDOCX is too large');
  return xml;
}
