import { readZipEntries, readZipEntry } from '../archive/zip.js';
import { ExtractionError } from '../errors.js';
import { MAX_XML_BYTES } from './xml-parse.js';

/**
 * Returns the `.isdoc` document inside an ISDOCX (zip) container: the shallowest `.isdoc` entry,
 * the first in the archive among equals. The central directory is checked against the archive
 * limits first and only that one entry is inflated, with a hard limit, so a zip bomb is refused,
 * not expanded.
 */
export function unpackIsdocx(bytes: Uint8Array): Uint8Array {
  const depth = (name: string) => name.split('/').length;
  const candidates = readZipEntries(bytes)
    .filter((entry) => /\.isdoc$/i.test(entry.name))
    .sort((a, b) => depth(a.name) - depth(b.name));
  const chosen = candidates[0];
  if (!chosen) throw new ExtractionError('corrupt_archive', 'ISDOCX container holds no .isdoc document');
  if (chosen.uncompressedSize > MAX_XML_BYTES)
    throw new ExtractionError('file_too_large', 'ISDOC inside ISDOCX is too large');
  return readZipEntry(bytes, chosen, MAX_XML_BYTES);
}
