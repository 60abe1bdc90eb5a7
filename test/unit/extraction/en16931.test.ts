import { describe, expect, it } from 'vitest';
import { readXmlInvoice } from '../../../src/extraction/formats/xml-invoice.js';
import { bytes, ciiXml, ublXml } from './fixtures/xml-fixtures.js';
import { SAMPLE } from './fixtures/invoice-model.js';

const codes = (xml: string): string[] => readXmlInvoice(bytes(xml)).findings.map((f) => f.code);
const errors = (xml: string): string[] =>
  readXmlInvoice(bytes(xml))
    .findings.filter((f) => f.severity === 'error')
    .map((f) => f.code);

/** The fixture generators already produce complete EN 16931 invoices (addresses, line terms). */
const fullCii = (guideline = 'urn:cen.eu:en16931:2017'): string => ciiXml(SAMPLE, guideline);
const fullUbl = (): string => ublXml();

describe('EN 16931 rules on structured invoices', () => {
  it('reports no error on a complete, consistent CII and UBL invoice', () => {
    expect(errors(fullCii())).toEqual([]);
    expect(errors(fullUbl())).toEqual([]);
  });

  it('rejects a malformed specification identifier (":compliant:" instead of "#compliant#")', () => {
    // BR-01 is only the presence of BT-24; whether the identifier is known is our own check.
    expect(errors(fullCii('urn:cen.eu:en16931:2017:compliant:factur-x.eu:1p0:basic'))).toContain(
      'en16931_specification_id',
    );
    expect(errors(fullCii('urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic'))).toEqual([]);
  });

  it('accepts the MINIMUM / BASIC WL identifiers but not lines or a preceding invoice in MINIMUM', () => {
    const minimum = fullCii('urn:factur-x.eu:1p0:minimum');
    expect(errors(minimum)).toContain('en16931_profile');
    const withoutLines = minimum.replace(
      /<ram:IncludedSupplyChainTradeLineItem>[\s\S]*<\/ram:IncludedSupplyChainTradeLineItem>/,
      '',
    );
    expect(errors(withoutLines)).toEqual([]);
    const preceding = withoutLines.replace(
      '</ram:ApplicableHeaderTradeSettlement>',
      '<ram:InvoiceReferencedDocument><ram:IssuerAssignedID>X</ram:IssuerAssignedID></ram:InvoiceReferencedDocument></ram:ApplicableHeaderTradeSettlement>',
    );
    expect(errors(preceding)).toContain('en16931_profile');
  });

  it('flags a ZUGFeRD 1.0 profile outside basic|comfort|extended', () => {
    const xml = `<rsm:CrossIndustryDocument xmlns:rsm="urn:ferd:CrossIndustryDocument:invoice:1p0" xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12"><rsm:SpecifiedExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:ferd:CrossIndustryDocument:invoice:1p0:komfort</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter></rsm:SpecifiedExchangedDocumentContext></rsm:CrossIndustryDocument>`;
    expect(errors(xml)).toEqual(
      expect.arrayContaining(['en16931_specification_id', 'en16931_br_02', 'en16931_br_05']),
    );
  });

  it('flags a root element in the wrong namespace', () => {
    expect(errors(fullCii().replace('CrossIndustryInvoice:100"', 'CrossIndustryInvoice:99"'))).toContain(
      'en16931_schema',
    );
  });

  it('checks BR-CO-10..16 totals arithmetic', () => {
    expect(
      errors(fullCii().replace('<ram:GrandTotalAmount>1210.00', '<ram:GrandTotalAmount>1200.00')),
    ).toContain('en16931_br_co_15');
    expect(
      errors(fullCii().replace('<ram:DuePayableAmount>1210.00', '<ram:DuePayableAmount>1000.00')),
    ).toContain('en16931_br_co_16');
    expect(
      errors(
        fullCii().replace(
          '<ram:LineTotalAmount>1000.00</ram:LineTotalAmount><ram:TaxBasis',
          '<ram:LineTotalAmount>900.00</ram:LineTotalAmount><ram:TaxBasis',
        ),
      ),
    ).toContain('en16931_br_co_10');
  });

  it('warns when a line net amount is not quantity x net price', () => {
    expect(codes(fullCii().replace('<ram:ChargeAmount>100.00', '<ram:ChargeAmount>0.10'))).toContain(
      'en16931_line_net',
    );
  });

  it('requires line terms (BR-21..26) and a known unit code', () => {
    const xml = fullCii().replace('<ram:BilledQuantity unitCode="C62">10</ram:BilledQuantity>', '');
    expect(errors(xml)).toEqual(expect.arrayContaining(['en16931_br_22', 'en16931_br_23']));
    expect(codes(fullCii().replace('unitCode="C62"', 'unitCode="STUECK"'))).toContain('en16931_br_cl_23');
  });

  it('applies VAT category rules: S needs a rate, E needs an exemption reason, AE both VAT IDs', () => {
    expect(
      errors(fullCii().replaceAll('<ram:RateApplicablePercent>21.00', '<ram:RateApplicablePercent>0')),
    ).toContain('en16931_br_s_05');
    const exempt = fullCii().replaceAll(
      '<ram:CategoryCode>S</ram:CategoryCode>',
      '<ram:CategoryCode>E</ram:CategoryCode>',
    );
    expect(errors(exempt)).toContain('en16931_br_e_10');
    const reverse = fullCii()
      .replaceAll('<ram:CategoryCode>S</ram:CategoryCode>', '<ram:CategoryCode>AE</ram:CategoryCode>')
      .replace(
        /<ram:BuyerTradeParty>([\s\S]*?)<ram:SpecifiedTaxRegistration>[\s\S]*?<\/ram:SpecifiedTaxRegistration>/,
        '<ram:BuyerTradeParty>$1',
      );
    expect(errors(reverse)).toContain('en16931_br_ae_02');
  });

  it('checks code lists: currency, type code, country, tax scheme', () => {
    expect(
      errors(fullCii().replace('<ram:InvoiceCurrencyCode>EUR', '<ram:InvoiceCurrencyCode>EURO')),
    ).toContain('en16931_br_cl_04');
    expect(errors(fullCii().replace('<ram:TypeCode>380', '<ram:TypeCode>999'))).toContain('en16931_br_cl_01');
    expect(errors(fullCii().replace('<ram:CountryID>DE', '<ram:CountryID>XX'))).toContain('en16931_br_cl_14');
    expect(errors(fullCii().replace('schemeID="VA">DE', 'schemeID="VAT">DE'))).toContain(
      'en16931_cii_sr_schemeid',
    );
  });

  it('rejects more than two decimals (BR-DEC) and impossible dates', () => {
    expect(
      errors(fullCii().replace('<ram:GrandTotalAmount>1210.00', '<ram:GrandTotalAmount>1210.001')),
    ).toContain('en16931_br_dec_14');
    expect(errors(fullCii().replace('format="102">20240314', 'format="102">20241314'))).toContain(
      'en16931_date',
    );
    expect(errors(fullCii().replace('format="102">20240314', 'format="1020">20240314'))).toContain(
      'en16931_date',
    );
  });

  it('accepts a UBL date with a time zone and reports BR-01 on a UBL invoice without CustomizationID', () => {
    expect(
      errors(
        fullUbl().replace(`<cbc:IssueDate>${SAMPLE.issueDate}`, `<cbc:IssueDate>${SAMPLE.issueDate}+01:00`),
      ),
    ).toEqual([]);
    const plain = errors(fullUbl().replace(/<cbc:CustomizationID>.*<\/cbc:CustomizationID>/, ''));
    expect(plain).toContain('en16931_br_01');
  });

  it('checks that an EXTENDED group line equals the sum of its sub-lines', () => {
    const line = (id: string, parent: string, status: string, net: string): string =>
      `<ram:IncludedSupplyChainTradeLineItem><ram:AssociatedDocumentLineDocument><ram:LineID>${id}</ram:LineID>${parent ? `<ram:ParentLineID>${parent}</ram:ParentLineID>` : ''}<ram:LineStatusReasonCode>${status}</ram:LineStatusReasonCode></ram:AssociatedDocumentLineDocument><ram:SpecifiedLineTradeSettlement><ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>${net}</ram:LineTotalAmount></ram:SpecifiedTradeSettlementLineMonetarySummation></ram:SpecifiedLineTradeSettlement></ram:IncludedSupplyChainTradeLineItem>`;
    const xml = fullCii('urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended').replace(
      '<ram:ApplicableHeaderTradeAgreement>',
      `${line('G', '', 'GROUP', '999.00')}${line('G.1', 'G', 'DETAIL', '600.00')}${line('G.2', 'G', 'DETAIL', '450.00')}<ram:ApplicableHeaderTradeAgreement>`,
    );
    expect(errors(xml)).toContain('en16931_line_group');
  });
});
