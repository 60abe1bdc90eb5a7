import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { ExtractionError } from '../errors.js';
import type { Finding } from '../types.js';

/** Upper bound on XML size; real e-invoices are a few hundred kB, embedded images included. */
export const MAX_XML_BYTES = 20 * 1024 * 1024;

/** A parsed element: attributes as `@name`, text as `#text`, every child element as an array. */
export type XmlNode = { [key: string]: XmlNode[] | string | undefined } | string;

export interface ParsedXml {
  rootName: string;
  root: XmlNode;
  text: string;
  findings: Finding[];
}

const ENCODINGS: Record<string, string> = {
  'utf-8': 'utf-8',
  utf8: 'utf-8',
  'iso-8859-1': 'iso-8859-1',
  'iso-8859-2': 'iso-8859-2',
  'iso-8859-15': 'iso-8859-15',
  'windows-1250': 'windows-1250',
  'windows-1252': 'windows-1252',
  'us-ascii': 'utf-8',
};

/** Decodes XML bytes honouring a BOM or the declared encoding; an unknown label is a finding, read as UTF-8. */
export function decodeXml(bytes: Uint8Array): { text: string; findings: Finding[] } {
  if (bytes[0] === 0xff && bytes[1] === 0xfe)
    return { text: new TextDecoder('utf-16le').decode(bytes), findings: [] };
  if (bytes[0] === 0xfe && bytes[1] === 0xff)
    return { text: new TextDecoder('utf-16be').decode(bytes), findings: [] };
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 200));
  const declared = head.match(/^\uFEFF?\s*<\?xml[^>]*encoding\s*=\s*["']([^"']+)["']/i)?.[1];
  const findings: Finding[] = [];
  let label = 'utf-8';
  if (declared) {
    const known = ENCODINGS[declared.toLowerCase()];
    if (known) label = known;
    else
      findings.push({
        code: 'xml_encoding_unknown',
        severity: 'warning',
        message: `XML declares an unknown encoding "${declared}"; read as UTF-8`,
      });
  }
  return { text: new TextDecoder(label).decode(bytes).replace(/^\uFEFF/, ''), findings };
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  processEntities: true,
  htmlEntities: false,
  isArray: (_name: string, _path: unknown, _leaf: boolean, isAttribute: boolean) => !isAttribute,
});

/** Characters outside XML 1.0's `Char` production (U+0000 among them); the parser lets them pass. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const FORBIDDEN_XML_CHARACTER = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;

function refuseForbiddenCharacters(text: string): void {
  const found = FORBIDDEN_XML_CHARACTER.exec(text);
  if (!found) return;
  const line = text.slice(0, found.index).split('\n').length;
  const codePoint = found[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
  throw new ExtractionError(
    'invalid_xml',
    `XML is not well-formed: U+${codePoint} is not an XML character (line ${line})`,
  );
}

/**
 * Parses untrusted XML. DOCTYPE and ENTITY declarations are rejected outright: invoices never need
 * them and they are the vehicle of entity-expansion bombs and external entity (XXE) reads.
 */
export function parseXmlSecure(bytes: Uint8Array): ParsedXml {
  if (bytes.length > MAX_XML_BYTES)
    throw new ExtractionError('file_too_large', `XML is larger than ${MAX_XML_BYTES} bytes`);
  const { text, findings } = decodeXml(bytes);
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) {
    throw new ExtractionError(
      'xml_entities_forbidden',
      'XML with DOCTYPE or ENTITY declarations is not accepted',
    );
  }
  refuseForbiddenCharacters(text);
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    throw new ExtractionError(
      'invalid_xml',
      `XML is not well-formed: ${valid.err.msg} (line ${valid.err.line})`,
    );
  }
  const doc = parser.parse(text) as Record<string, XmlNode[]>;
  const rootName = Object.keys(doc).find((k) => !k.startsWith('?') && !k.startsWith('#'));
  const root = rootName ? doc[rootName]?.[0] : undefined;
  if (!rootName || root === undefined) throw new ExtractionError('invalid_xml', 'XML has no root element');
  return { rootName, root, text, findings };
}
