import { ExtractionError } from '../errors.js';
import type { DocumentFormat } from '../types.js';
import type { EInvoice } from '../einvoice.js';
import { readCii } from './cii.js';
import { readCiiEInvoice } from './cii-einvoice.js';
import { readIsdoc } from './isdoc.js';
import { readIsdocEInvoice } from './isdoc-einvoice.js';
import type { StructuredInvoice } from './structured.js';
import { readUbl } from './ubl.js';
import { readUblEInvoice } from './ubl-einvoice.js';
import { children } from './xml-nav.js';
import { parseXmlSecure, type XmlNode } from './xml-parse.js';
import { validateEn16931 } from '../validate/en16931/index.js';

export interface XmlInvoice extends StructuredInvoice {
  format: Extract<DocumentFormat, 'ubl' | 'cii' | 'zugferd1' | 'isdoc'>;
  einvoice: EInvoice;
}

/** ISDOC also uses an `Invoice` root; its namespace or its ISDOC-only elements tell it apart from UBL. */
function isIsdoc(root: XmlNode, text: string): boolean {
  return /isdoc\.cz\/namespace/.test(text.slice(0, 4000)) || children(root, 'LocalCurrencyCode').length > 0;
}

/** ISDOC 6 documents live in the http://isdoc.cz/namespace/2013 namespace; without it no schema applies. */
function checkIsdocNamespace(text: string): XmlInvoice['findings'] {
  if (/xmlns\s*=\s*["']http:\/\/isdoc\.cz\/namespace\/2013["']/.test(text.slice(0, 4000))) return [];
  return [
    {
      code: 'isdoc_namespace',
      severity: 'error',
      message: 'ISDOC root does not declare the http://isdoc.cz/namespace/2013 namespace',
    },
  ];
}

/** Parses untrusted XML bytes and reads the e-invoice they hold (UBL, CII, ZUGFeRD 1, ISDOC). */
export function readXmlInvoice(bytes: Uint8Array): XmlInvoice {
  const { rootName, root, text, findings } = parseXmlSecure(bytes);
  let invoice: XmlInvoice;
  if (rootName === 'CrossIndustryInvoice')
    invoice = { ...readCii(root), format: 'cii', einvoice: readCiiEInvoice(root, false) };
  else if (rootName === 'CrossIndustryDocument')
    invoice = { ...readCii(root, true), format: 'zugferd1', einvoice: readCiiEInvoice(root, true) };
  else if (rootName === 'Invoice' && isIsdoc(root, text)) {
    const einvoice = readIsdocEInvoice(root);
    invoice = { ...readIsdoc(root), format: 'isdoc', einvoice };
    // ISDOC writes no category codes; the model derived them from ISDOC's flags.
    invoice.vatBreakdown.forEach((row, i) => {
      const category = einvoice.vat[i]?.category;
      if (category) row.category = category;
    });
  } else if (rootName === 'Invoice' || rootName === 'CreditNote')
    invoice = {
      ...readUbl(root, rootName),
      format: 'ubl',
      einvoice: readUblEInvoice(root, rootName === 'CreditNote'),
    };
  else
    throw new ExtractionError(
      'unknown_xml_document',
      `XML root element <${rootName}> is not a supported e-invoice`,
    );
  invoice.findings.unshift(...findings);
  if (invoice.format !== 'isdoc') invoice.findings.push(...validateEn16931(root, rootName, text));
  else invoice.findings.push(...checkIsdocNamespace(text));
  return invoice;
}
