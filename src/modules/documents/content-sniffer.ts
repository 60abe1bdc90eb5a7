/**
 * Decides a document's type from its first bytes against the allowlist (PDF, PNG, JPEG, TIFF,
 * XML incl. ISDOC, ISDOCX). The declared Content-Type and the filename are never trusted: a file
 * is what its bytes say, or it is refused.
 */

export const SNIFF_BYTES = 4096;

export interface SniffedType {
  readonly contentType: string;
  /** The filename extension to use when the client gave none or a misleading one. */
  readonly extension: string;
}

const starts = (head: Buffer, signature: readonly number[], offset = 0) =>
  head.length >= offset + signature.length && signature.every((byte, i) => head[offset + i] === byte);

/** XML: optional UTF-8 BOM, white space, then `<?xml` or an element. ISDOC is XML with its namespace. */
function sniffXml(head: Buffer): SniffedType | null {
  let text = head.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  text = text.trimStart();
  if (!/^<(\?xml[\s?]|[A-Za-z_])/.test(text)) return null;
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) return null; // refused here already: no DTDs, ever
  if (text.includes('http://isdoc.cz/namespace/'))
    return { contentType: 'application/vnd.isdoc+xml', extension: 'isdoc' };
  return { contentType: 'application/xml', extension: 'xml' };
}

/**
 * ISDOCX is a ZIP whose first entry is the ISDOC invoice or the manifest. Other ZIP files (and so
 * zip bombs or archives smuggling executables) are refused.
 */
function sniffIsdocx(head: Buffer): SniffedType | null {
  if (!starts(head, [0x50, 0x4b, 0x03, 0x04]) || head.length < 30) return null;
  const nameLength = head.readUInt16LE(26);
  const name = head
    .subarray(30, 30 + nameLength)
    .toString('utf8')
    .toLowerCase();
  if (name.endsWith('.isdoc') || name === 'manifest.xml' || name.endsWith('/manifest.xml')) {
    return { contentType: 'application/vnd.isdocx+zip', extension: 'isdocx' };
  }
  return null;
}

export function sniffContentType(head: Buffer): SniffedType | null {
  if (starts(head, [0x25, 0x50, 0x44, 0x46, 0x2d]))
    return { contentType: 'application/pdf', extension: 'pdf' };
  if (starts(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
    return { contentType: 'image/png', extension: 'png' };
  if (starts(head, [0xff, 0xd8, 0xff])) return { contentType: 'image/jpeg', extension: 'jpg' };
  if (starts(head, [0x49, 0x49, 0x2a, 0x00]) || starts(head, [0x4d, 0x4d, 0x00, 0x2a])) {
    return { contentType: 'image/tiff', extension: 'tiff' };
  }
  return sniffIsdocx(head) ?? sniffXml(head);
}
