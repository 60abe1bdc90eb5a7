import { afterAll, describe, expect, it } from 'vitest';
import { AFRelationship } from 'pdf-lib';
import { disposeExtraction, extractInvoice } from '../../../src/extraction/index.js';
import { readXmlInvoice } from '../../../src/extraction/formats/xml-invoice.js';
import { checkHybridContainer } from '../../../src/extraction/validate/facturx-container.js';
import { facturxPdfBytes, facturxXmp, hybridPdfBytes } from './fixtures/pdf-fixtures.js';
import { bytes, ciiXml } from './fixtures/xml-fixtures.js';
import { SAMPLE } from './fixtures/invoice-model.js';

afterAll(disposeExtraction);

const findings = async (pdf: Promise<Uint8Array>): Promise<Array<[string, string]>> =>
  (await extractInvoice({ bytes: await pdf }, { ocr: false, qr: false })).findings.map((f) => [
    f.code,
    f.severity,
  ]);
const containerCodes = (list: Array<[string, string]>): Array<[string, string]> =>
  list.filter(([code]) => /^(facturx|pdfa)_/.test(code));

describe('Factur-X container checks (XMP, PDF/A-3, file specification)', () => {
  it('accepts a hybrid PDF whose XMP declares the attached file and the XML profile', async () => {
    const list = await findings(facturxPdfBytes(ciiXml(), 'factur-x.xml', { xmp: facturxXmp() }));
    expect(containerCodes(list)).toEqual([]);
  });

  it('reports a ConformanceLevel that is not the XML profile, and one that is no level at all', async () => {
    const basic = await findings(
      facturxPdfBytes(ciiXml(), 'factur-x.xml', { xmp: facturxXmp({ level: 'BASIC' }) }),
    );
    expect(basic).toContainEqual(['facturx_xmp_conformance_mismatch', 'error']);
    const bogus = await findings(
      facturxPdfBytes(ciiXml(), 'factur-x.xml', { xmp: facturxXmp({ level: 'no thing' }) }),
    );
    expect(bogus).toContainEqual(['facturx_xmp_conformance_invalid', 'error']);
  });

  it('accepts EN 16931 or XRECHNUNG as the level of an XRechnung XML', () => {
    const xrechnung = 'urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0';
    const base = {
      hasBinaryHeaderComment: true,
      hasTrailerId: true,
      attachmentName: 'factur-x.xml',
      afRelationship: 'Alternative',
      mimeType: 'text/xml',
      specId: xrechnung,
    };
    expect(checkHybridContainer({ ...base, xmp: facturxXmp({ level: 'XRECHNUNG' }) })).toEqual([]);
    expect(checkHybridContainer({ ...base, xmp: facturxXmp({ level: 'EN 16931' }) })).toEqual([]);
  });

  it('reports a DocumentFileName that is not the attachment name', async () => {
    const list = await findings(
      facturxPdfBytes(ciiXml(), 'factur-x.xml', { xmp: facturxXmp({ fileName: 'zugferd-invoice.xml' }) }),
    );
    expect(list).toContainEqual(['facturx_xmp_file_name', 'error']);
  });

  it('reports a PDF/A part other than 3 and a missing extension schema', async () => {
    const list = await findings(
      facturxPdfBytes(ciiXml(), 'factur-x.xml', { xmp: facturxXmp({ part: '1', extension: false }) }),
    );
    expect(list).toContainEqual(['pdfa_part_invalid', 'error']);
    expect(list).toContainEqual(['facturx_xmp_extension_schema_missing', 'error']);
  });

  it('reports XMP that is not well-formed XML', async () => {
    const broken = facturxXmp().replace('<fx:Version>1.0</fx:Version>', '<fx:Version>1 & 2</fx:Version>');
    const list = await findings(facturxPdfBytes(ciiXml(), 'factur-x.xml', { xmp: broken }));
    expect(list).toContainEqual(['facturx_xmp_unparseable', 'error']);
  });

  it('warns about an /AFRelationship of Unspecified and a MIME type that is not XML', async () => {
    const list = await findings(
      facturxPdfBytes(ciiXml(), 'factur-x.xml', {
        xmp: facturxXmp(),
        afRelationship: AFRelationship.Unspecified,
        mimeType: 'application/octet-stream',
      }),
    );
    expect(list).toContainEqual(['facturx_af_relationship', 'warning']);
    expect(list).toContainEqual(['facturx_attachment_mime', 'warning']);
  });

  it('reports the PDF/A file rules a document claiming PDF/A breaks: header comment, trailer ID', () => {
    const list = checkHybridContainer({
      xmp: facturxXmp(),
      hasBinaryHeaderComment: false,
      hasTrailerId: false,
      attachmentName: 'factur-x.xml',
      afRelationship: 'Data',
      mimeType: 'text/xml',
      specId: 'urn:cen.eu:en16931:2017',
    }).map((f) => f.code);
    expect(list).toEqual(['pdfa_header_comment', 'pdfa_trailer_id']);
  });

  it('only warns when a PDF with an invoice attachment has no XMP at all', async () => {
    const list = containerCodes(await findings(hybridPdfBytes(ciiXml())));
    expect(list).toEqual([['facturx_xmp_missing', 'warning']]);
  });
});

describe('CII syntax binding rules', () => {
  const withCurrency = (guideline: string): string =>
    ciiXml(SAMPLE, guideline).replace(
      `<ram:GrandTotalAmount>${SAMPLE.gross}`,
      `<ram:GrandTotalAmount currencyID="${SAMPLE.currency}">${SAMPLE.gross}`,
    );
  const severityOf = (xml: string, code: string): string | undefined =>
    readXmlInvoice(bytes(xml)).findings.find((f) => f.code === code)?.severity;

  it('CII-DT-031: only TaxTotalAmount may carry currencyID (error in EN 16931, warning in BASIC WL)', () => {
    expect(severityOf(ciiXml(), 'en16931_cii_dt_031')).toBeUndefined();
    expect(severityOf(withCurrency('urn:cen.eu:en16931:2017'), 'en16931_cii_dt_031')).toBe('error');
    expect(severityOf(withCurrency('urn:factur-x.eu:1p0:basicwl'), 'en16931_cii_dt_031')).toBe('warning');
  });

  it('CII-SR-122 / 123: a gross price discount has no percent and no base amount', () => {
    const xml = ciiXml().replace(
      '<ram:NetPriceProductTradePrice>',
      '<ram:GrossPriceProductTradePrice><ram:ChargeAmount>110.00</ram:ChargeAmount><ram:AppliedTradeAllowanceCharge><ram:ChargeIndicator><udt:Indicator>false</udt:Indicator></ram:ChargeIndicator><ram:CalculationPercent>10</ram:CalculationPercent><ram:BasisAmount>110.00</ram:BasisAmount><ram:ActualAmount>10.00</ram:ActualAmount></ram:AppliedTradeAllowanceCharge></ram:GrossPriceProductTradePrice><ram:NetPriceProductTradePrice>',
    );
    const codes = readXmlInvoice(bytes(xml)).findings.map((f) => f.code);
    expect(codes).toContain('en16931_cii_sr_122');
    expect(codes).toContain('en16931_cii_sr_123');
  });

  it('reports net + tax != gross once on a structured invoice (BR-CO-15, not totals_mismatch)', async () => {
    const xml = ciiXml().replace(`<ram:GrandTotalAmount>${SAMPLE.gross}`, '<ram:GrandTotalAmount>9999.00');
    const r = await extractInvoice({ bytes: bytes(xml) });
    const codes = r.findings.map((f) => f.code);
    expect(codes).toContain('en16931_br_co_15');
    expect(codes).not.toContain('totals_mismatch');
  });
});
