import { XMLValidator } from 'fast-xml-parser';
import type { Finding } from '../types.js';
import { profileOf, type Profile } from './en16931/model.js';

/** What the container of a hybrid invoice says about itself, read from the PDF by `pdf/xmp.ts`. */
export interface HybridContainer {
  /** The XMP metadata packet of the document catalog, when there is one. */
  xmp?: string;
  /** PDF/A 6.1.2: the header line is followed by a comment of at least four bytes above 127. */
  hasBinaryHeaderComment: boolean;
  /** PDF/A 6.1.3: the trailer has a file identifier (/ID). */
  hasTrailerId: boolean;
  attachmentName: string;
  afRelationship?: string;
  mimeType?: string;
  /** The XML's specification identifier (BT-24), to compare with the declared conformance level. */
  specId?: string;
}

interface XmpFacts {
  pdfaPart?: string;
  /** Namespace URI of the Factur-X / ZUGFeRD properties, when declared. */
  invoiceNamespace?: string;
  documentType?: string;
  documentFileName?: string;
  conformanceLevel?: string;
  /** The PDF/A extension schema block declares the invoice namespace (required for custom properties). */
  declaresExtension: boolean;
}

const INVOICE_NS = /xmlns:([\w.-]+)\s*=\s*["'](urn:(?:factur-x|zugferd|ferd):pdfa:[^"']*)["']/;

/** A simple XMP property, written as an element or as an attribute of rdf:Description. */
function property(xmp: string, prefix: string, name: string): string | undefined {
  const element = xmp.match(new RegExp(`<${prefix}:${name}>\\s*([^<]*?)\\s*</${prefix}:${name}>`));
  if (element) return element[1];
  return xmp.match(new RegExp(`\\s${prefix}:${name}\\s*=\\s*["']([^"']*)["']`))?.[1];
}

/** Reads the PDF/A identification and the Factur-X / ZUGFeRD properties from an XMP packet. */
export function readXmpFacts(xmp: string): XmpFacts {
  const ns = xmp.match(INVOICE_NS);
  const pdfaid = xmp.match(/xmlns:([\w.-]+)\s*=\s*["']http:\/\/www\.aiim\.org\/pdfa\/ns\/id\/["']/)?.[1];
  const prefix = ns?.[1];
  const uri = ns?.[2];
  return {
    pdfaPart: pdfaid ? property(xmp, pdfaid, 'part') : undefined,
    invoiceNamespace: uri,
    documentType: prefix ? property(xmp, prefix, 'DocumentType') : undefined,
    documentFileName: prefix ? property(xmp, prefix, 'DocumentFileName') : undefined,
    conformanceLevel: prefix ? property(xmp, prefix, 'ConformanceLevel') : undefined,
    declaresExtension:
      uri !== undefined &&
      new RegExp(`namespaceURI(>\\s*|\\s*=\\s*["'])${uri.replace(/[.*+?^${}()|[\]\\#]/g, '\\$&')}`).test(xmp),
  };
}

/** The conformance levels the Factur-X / ZUGFeRD XMP schemas define. */
const LEVELS = new Set(['MINIMUM', 'BASIC WL', 'BASIC', 'COMFORT', 'EN 16931', 'EXTENDED', 'XRECHNUNG']);

/** Which XMP conformance levels describe the XML's profile (XRechnung is also declared as EN 16931). */
const LEVELS_OF: Partial<Record<Profile, string[]>> = {
  minimum: ['MINIMUM'],
  basicwl: ['BASIC WL'],
  basic: ['BASIC'],
  en16931: ['EN 16931'],
  extended: ['EXTENDED'],
  xrechnung: ['XRECHNUNG', 'EN 16931'],
  'zf1-basic': ['BASIC'],
  'zf1-comfort': ['COMFORT'],
  'zf1-extended': ['EXTENDED'],
};

function finding(code: string, message: string, severity: Finding['severity'] = 'error'): Finding {
  return { code, severity, message };
}

function checkConformance(facts: XmpFacts, specId: string | undefined): Finding[] {
  const level = facts.conformanceLevel;
  if (level === undefined)
    return [
      finding('facturx_xmp_conformance_missing', 'the XMP metadata has no ConformanceLevel', 'warning'),
    ];
  if (!LEVELS.has(level))
    return [
      finding(
        'facturx_xmp_conformance_invalid',
        `XMP ConformanceLevel "${level}" is not a Factur-X / ZUGFeRD level (${[...LEVELS].join(', ')})`,
      ),
    ];
  const profile = profileOf(specId);
  const expected = LEVELS_OF[profile];
  if (!expected || expected.includes(level)) return [];
  // ZUGFeRD 1.0 predates the strict profile match that Factur-X / ZUGFeRD 2 validators enforce.
  const severity = profile.startsWith('zf1') ? 'warning' : 'error';
  return [
    finding(
      'facturx_xmp_conformance_mismatch',
      `XMP ConformanceLevel "${level}" does not match the XML profile "${specId ?? ''}" (${expected.join(' or ')})`,
      severity,
    ),
  ];
}

function checkInvoiceXmp(facts: XmpFacts, c: HybridContainer): Finding[] {
  const findings: Finding[] = [];
  if (!facts.declaresExtension)
    findings.push(
      finding(
        'facturx_xmp_extension_schema_missing',
        `the XMP uses ${facts.invoiceNamespace ?? ''} properties without a PDF/A extension schema declaring them`,
      ),
    );
  if (facts.documentType !== undefined && facts.documentType !== 'INVOICE')
    findings.push(
      finding('facturx_xmp_document_type', `XMP DocumentType is "${facts.documentType}", not INVOICE`),
    );
  if (facts.documentFileName === undefined)
    findings.push(finding('facturx_xmp_file_name', 'the XMP metadata has no DocumentFileName', 'warning'));
  else if (facts.documentFileName !== c.attachmentName)
    findings.push(
      finding(
        'facturx_xmp_file_name',
        `XMP DocumentFileName "${facts.documentFileName}" is not the attached invoice "${c.attachmentName}"`,
      ),
    );
  return [...findings, ...checkConformance(facts, c.specId)];
}

/** PDF/A-3 identification and the file-level PDF/A rules a hybrid invoice claims to follow. */
function checkPdfA(facts: XmpFacts, c: HybridContainer): Finding[] {
  if (facts.pdfaPart === undefined)
    return [
      finding(
        'pdfa_identification_missing',
        'the PDF declares a Factur-X / ZUGFeRD invoice but no PDF/A identification (pdfaid:part)',
      ),
    ];
  const findings: Finding[] = [];
  // Embedded files need PDF/A-3; Factur-X 1.07 also admits PDF/A-4f.
  if (facts.pdfaPart !== '3' && facts.pdfaPart !== '4')
    findings.push(
      finding('pdfa_part_invalid', `pdfaid:part is ${facts.pdfaPart}; a hybrid invoice needs PDF/A-3`),
    );
  if (!c.hasBinaryHeaderComment)
    findings.push(
      finding('pdfa_header_comment', 'PDF/A: the header is not followed by a binary comment line'),
    );
  if (!c.hasTrailerId) findings.push(finding('pdfa_trailer_id', 'PDF/A: the trailer has no file identifier'));
  return findings;
}

/** Factur-X names the XML's relationship Data, Alternative or Source and its type text/xml. */
function checkFileSpec(c: HybridContainer): Finding[] {
  const findings: Finding[] = [];
  if (!c.afRelationship || !/^(Data|Alternative|Source)$/.test(c.afRelationship))
    findings.push(
      finding(
        'facturx_af_relationship',
        `attachment ${c.attachmentName}: /AFRelationship is ${c.afRelationship ?? 'missing'}, expected Data, Alternative or Source`,
        'warning',
      ),
    );
  if (!c.mimeType || !/^(text|application)\/xml$/i.test(c.mimeType))
    findings.push(
      finding(
        'facturx_attachment_mime',
        `attachment ${c.attachmentName}: MIME type is ${c.mimeType ?? 'missing'}, expected text/xml`,
        'warning',
      ),
    );
  return findings;
}

/**
 * Checks the container of a hybrid invoice (Factur-X / ZUGFeRD): the XMP must parse, declare the
 * attached file and the XML's profile, and the PDF must be the PDF/A-3 it claims to be. A PDF that
 * does not claim Factur-X in its XMP only gets a warning: its XML is still read.
 */
export function checkHybridContainer(c: HybridContainer): Finding[] {
  if (c.xmp === undefined || c.xmp.trim() === '')
    return [
      finding(
        'facturx_xmp_missing',
        'the PDF carries an invoice XML but no XMP metadata declaring it (Factur-X / ZUGFeRD need PDF/A-3 with XMP)',
        'warning',
      ),
    ];
  const body = c.xmp.replace(/<\?xpacket[^>]*\?>/g, '').trim();
  const parsed = XMLValidator.validate(body);
  if (parsed !== true)
    return [finding('facturx_xmp_unparseable', `the XMP metadata is not well-formed XML: ${parsed.err.msg}`)];
  const facts = readXmpFacts(body);
  if (facts.invoiceNamespace === undefined)
    return [
      finding(
        'facturx_xmp_missing',
        'the XMP metadata does not declare the Factur-X / ZUGFeRD invoice properties',
        'warning',
      ),
      ...checkFileSpec(c),
    ];
  return [...checkInvoiceXmp(facts, c), ...checkPdfA(facts, c), ...checkFileSpec(c)];
}
