import { describe, expect, it } from 'vitest';
import { sniffContentType } from '../../../src/modules/documents/content-sniffer.js';

const UBL = 'urn:oasis:names:specification:ubl:schema:xsd:Invoice-2';
const CII = 'urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100';

const sniff = (text: string) => sniffContentType(Buffer.from(text))?.contentType ?? null;

describe('content sniffer: XML is accepted only as an e-invoice we read', () => {
  it.each([
    ['UBL Invoice', `<?xml version="1.0" encoding="UTF-8"?>\n<Invoice xmlns="${UBL}" xmlns:cbc="x">`],
    ['UBL Invoice with a prefix', `<ubl:Invoice xmlns:ubl="${UBL}"><cbc:ID/>`],
    ['UBL CreditNote', `<CreditNote xmlns='urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2'/>`],
    [
      'CII',
      `<?xml version="1.0"?><!-- Factur-X --><rsm:CrossIndustryInvoice xmlns:rsm="${CII}" xmlns:ram="y">`,
    ],
    ['ZUGFeRD 1.0', `<rsm:CrossIndustryDocument xmlns:rsm="urn:ferd:CrossIndustryDocument:invoice:1p0">`],
    [
      'UBL after a BOM and a processing instruction',
      `\ufeff<?xml version="1.0"?><?xml-stylesheet href="a"?>\n<Invoice\n  xmlns="${UBL}">`,
    ],
  ])('accepts %s as application/xml', (_, text) => {
    expect(sniff(text)).toBe('application/xml');
  });

  it('accepts ISDOC as application/vnd.isdoc+xml', () => {
    expect(
      sniff('<?xml version="1.0"?><Invoice xmlns="http://isdoc.cz/namespace/2013" version="6.0.1">'),
    ).toBe('application/vnd.isdoc+xml');
  });

  it.each([
    ['HTML', '<html><body><script>alert(1)</script></body></html>'],
    ['XHTML', '<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body/></html>'],
    ['SVG', '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="1"/></svg>'],
    ['SVG after an XML declaration', '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>'],
    ['an Invoice root without a namespace', '<Invoice><ID>1</ID></Invoice>'],
    [
      'an Invoice root in the XHTML namespace',
      '<Invoice xmlns="http://www.w3.org/1999/xhtml"><script/></Invoice>',
    ],
    [
      'a prefixed Invoice whose prefix is not the UBL one',
      `<x:Invoice xmlns="${UBL}" xmlns:x="http://www.w3.org/2000/svg">`,
    ],
    ['a SOAP envelope', '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body/>'],
    ['RSS', '<?xml version="1.0"?><rss version="2.0"><channel/></rss>'],
    [
      'a root start tag that does not end in the first 4 KiB',
      `<Invoice xmlns="${UBL}" a="${'x'.repeat(5000)}">`,
    ],
    ['a DTD', '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'],
  ])('refuses %s', (_, text) => {
    expect(sniffContentType(Buffer.from(text).subarray(0, 4096))).toBeNull();
  });
});
