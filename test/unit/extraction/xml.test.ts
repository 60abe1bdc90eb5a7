import { describe, expect, it } from 'vitest';
import { extractInvoice, ExtractionError } from '../../../src/extraction/index.js';
import { SAMPLE } from './fixtures/invoice-model.js';
import { bytes, ciiXml, isdocXml, isdocxZip, ublXml } from './fixtures/xml-fixtures.js';

const values = (r: Awaited<ReturnType<typeof extractInvoice>>): Record<string, string | undefined> =>
  Object.fromEntries(Object.entries(r.fields).map(([k, v]) => [k, v?.value]));

const EXPECTED = {
  invoiceNumber: SAMPLE.number,
  issueDate: SAMPLE.issueDate,
  dueDate: SAMPLE.dueDate,
  currency: 'EUR',
  'seller.name': SAMPLE.seller.name,
  'seller.vatId': SAMPLE.seller.vatId,
  'buyer.name': SAMPLE.buyer.name,
  'buyer.vatId': SAMPLE.buyer.vatId,
  'totals.net': '1000.00',
  'totals.tax': '210.00',
  'totals.gross': '1210.00',
  'totals.due': '1210.00',
  'payment.iban': SAMPLE.iban,
  'payment.reference': SAMPLE.reference,
};

async function expectCode(input: Uint8Array, code: string): Promise<void> {
  await expect(extractInvoice({ bytes: input })).rejects.toSatisfy(
    (e: unknown) => e instanceof ExtractionError && e.code === code,
  );
}

describe('structured XML', () => {
  it('reads UBL 2.1 exactly, taking the tax total in the document currency', async () => {
    const r = await extractInvoice({ bytes: bytes(ublXml()) });
    expect(r.format).toBe('ubl');
    expect(values(r)).toMatchObject({ ...EXPECTED, 'seller.companyId': SAMPLE.seller.companyId });
    expect(r.vatBreakdown).toEqual([{ rate: '21.00', category: 'S', base: '1000.00', tax: '210.00' }]);
    expect(r.lines).toHaveLength(1);
    expect(r.fields.invoiceNumber?.source).toBe('xml');
    expect(r.needsReview).toBe(false);
  });

  it('recognises a UBL credit note', async () => {
    const r = await extractInvoice({ bytes: bytes(ublXml(SAMPLE, 'CreditNote')) });
    expect(r.documentType).toBe('credit_note');
  });

  it('reads CII D16B, choosing the VA tax registration and the invoice-currency tax amount', async () => {
    const r = await extractInvoice({ bytes: bytes(ciiXml()) });
    expect(r.format).toBe('cii');
    expect(values(r)).toMatchObject(EXPECTED);
    expect(r.findings.filter((x) => x.severity !== 'info')).toEqual([]);
  });

  it('flags an unknown CII guideline identifier', async () => {
    const r = await extractInvoice({ bytes: bytes(ciiXml(SAMPLE, 'urn:example:not-a-profile')) });
    expect(r.findings.map((x) => x.code)).toContain('en16931_specification_id');
  });

  it('reads ISDOC and drops the tax total when an advance was claimed', async () => {
    const r = await extractInvoice({ bytes: bytes(isdocXml()) });
    expect(r.format).toBe('isdoc');
    expect(values(r)).toMatchObject({ ...EXPECTED, 'seller.companyId': '25596641' });
    const advance = await extractInvoice({ bytes: bytes(isdocXml(SAMPLE, '500.00')) });
    expect(advance.fields['totals.tax']).toBeUndefined();
  });

  it('reads the ISDOC inside an ISDOCX container', async () => {
    const r = await extractInvoice({ bytes: isdocxZip() });
    expect(r.format).toBe('isdocx');
    expect(r.fields.invoiceNumber?.value).toBe(SAMPLE.number);
  });

  it('rejects DOCTYPE and ENTITY declarations (XML bombs, XXE) before parsing', async () => {
    const bomb =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><Invoice>&lol2;</Invoice>';
    await expectCode(bytes(bomb), 'xml_entities_forbidden');
    const xxe =
      '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><Invoice><ID>&e;</ID></Invoice>';
    await expectCode(bytes(xxe), 'xml_entities_forbidden');
  });

  it('gives clean codes for broken, foreign and empty inputs', async () => {
    await expectCode(bytes('<Invoice><ID>1</Invoice>'), 'invalid_xml');
    await expectCode(bytes('<myinvoice><ID>1</ID></myinvoice>'), 'unknown_xml_document');
    await expectCode(new Uint8Array(), 'empty_file');
    await expectCode(bytes('hello, I am not an invoice'), 'unsupported_format');
  });

  it('reads UTF-8 with a BOM and reports an unknown encoding label without failing', async () => {
    const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...bytes(ublXml())]);
    expect((await extractInvoice({ bytes: withBom })).fields.invoiceNumber?.value).toBe(SAMPLE.number);
    const odd = bytes(ciiXml().replace('encoding="UTF-8"', 'encoding="UTF-8_W/O_BOM"'));
    expect((await extractInvoice({ bytes: odd })).findings.map((x) => x.code)).toContain(
      'xml_encoding_unknown',
    );
  });
});
