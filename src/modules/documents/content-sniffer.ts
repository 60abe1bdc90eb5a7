/**
 * Decides a document's type from its first bytes against the allowlist (PDF, PNG, JPEG, TIFF,
 * XML incl. ISDOC, ISDOCX). The declared Content-Type and the filename are never trusted: a file
 * is what its bytes say, or it is refused.
 */

export const SNIFF_BYTES = 4096;

/** Every content type `sniffContentType` can answer: what a refusal lists as accepted. */
export const ACCEPTED_CONTENT_TYPES: readonly string[] = [
  'application/pdf',
  'image/png',
  'image/jpeg',
  'image/tiff',
  'application/xml',
  'application/vnd.isdoc+xml',
  'application/vnd.isdocx+zip',
];

export interface SniffedType {
  readonly contentType: string;
  /** The filename extension to use when the client gave none or a misleading one. */
  readonly extension: string;
}

const starts = (head: Buffer, signature: readonly number[], offset = 0) =>
  head.length >= offset + signature.length && signature.every((byte, i) => head[offset + i] === byte);

/**
 * The e-invoice root elements the engine reads (`extraction/formats`), each with the namespaces
 * its standard gives it: UBL 2.x Invoice and CreditNote, UN/CEFACT CII (Factur-X, ZUGFeRD 2,
 * XRechnung), ZUGFeRD 1.0, ISDOC. Any other XML (XHTML, SVG, RSS, a SOAP envelope) is not an
 * invoice, and would only be served back as a document a browser may render.
 */
const INVOICE_ROOTS: Readonly<Record<string, (namespace: string) => boolean>> = {
  Invoice: (ns) => ns === 'urn:oasis:names:specification:ubl:schema:xsd:Invoice-2' || isIsdocNamespace(ns),
  CreditNote: (ns) => ns === 'urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2',
  CrossIndustryInvoice: (ns) => ns === 'urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100',
  CrossIndustryDocument: (ns) => ns === 'urn:ferd:CrossIndustryDocument:invoice:1p0',
};

function isIsdocNamespace(namespace: string): boolean {
  return /^http:\/\/isdoc\.cz\/namespace\/\d{4}$/.test(namespace);
}

/** What may precede the root element: white space, the XML declaration, comments, processing instructions. */
const PROLOG = /^(?:\s+|<\?[\s\S]*?\?>|<!--[\s\S]*?-->)*/;
/** The root's start tag, complete: its name (with any prefix) and its attributes. */
const START_TAG =
  /^<(?:([A-Za-z_][\w.-]*):)?([A-Za-z_][\w.-]*)((?:\s+[^\s=>/]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*\/?>/;

/** The root element's local name and namespace, or null when the head holds no complete start tag. */
function xmlRoot(text: string): { name: string; namespace: string } | null {
  const tag = START_TAG.exec(text.slice(PROLOG.exec(text)?.[0].length ?? 0));
  if (!tag) return null;
  const [, prefix, name = '', attributes = ''] = tag;
  const declaration = new RegExp(
    `\\sxmlns${prefix ? `:${prefix}` : ''}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`,
  ).exec(attributes);
  return { name, namespace: declaration?.[1] ?? declaration?.[2] ?? '' };
}

/**
 * XML: optional UTF-8 BOM, then a prolog and the root element of an e-invoice format we read,
 * in its namespace. ISDOC is told apart by its namespace.
 */
function sniffXml(head: Buffer): SniffedType | null {
  let text = head.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  text = text.trimStart();
  if (!/^<(\?xml[\s?]|[A-Za-z_!])/.test(text)) return null;
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) return null; // refused here already: no DTDs, ever
  const root = xmlRoot(text);
  if (!root || !INVOICE_ROOTS[root.name]?.(root.namespace)) return null;
  if (isIsdocNamespace(root.namespace))
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
