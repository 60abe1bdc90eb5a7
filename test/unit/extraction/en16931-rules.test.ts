import { describe, expect, it } from 'vitest';
import { parseXmlSecure } from '../../../src/extraction/formats/xml-parse.js';
import { dec, format, round } from '../../../src/extraction/validate/en16931/decimal.js';
import { validateEn16931 } from '../../../src/extraction/validate/en16931/index.js';
import { bytes, ciiXml, ublXml } from './fixtures/xml-fixtures.js';

/** Official rule ids of the error findings. */
const rules = (xml: string): string[] => {
  const { root, rootName, text } = parseXmlSecure(bytes(xml));
  return validateEn16931(root, rootName, text)
    .filter((f) => f.severity === 'error')
    .map((f) => f.rule ?? f.code);
};

describe('exact decimals (xs:decimal, XPath round)', () => {
  it('rounds half towards positive infinity, exactly', () => {
    expect(format(round(dec('13.775')!, 2))).toBe('13.78');
    expect(format(round(dec('-13.775')!, 2))).toBe('-13.77');
    expect(format(round(dec('-2.5')!))).toBe('-2');
    expect(format(round(dec('0.1')!, 2))).toBe('0.1');
    expect(dec('1e3')).toBeNull();
    expect(dec(' +.5 ')).toEqual({ units: 5n, scale: 1 });
  });
});

describe('EN 16931 rules on UBL, as the standard states them', () => {
  it('has no error on the complete fixture, and names the official rule of each finding', () => {
    expect(rules(ublXml())).toEqual([]);
    const broken = ublXml().replace(
      '<cbc:TaxInclusiveAmount currencyID="EUR">1210.00',
      '<cbc:TaxInclusiveAmount currencyID="EUR">1210.01',
    );
    expect(rules(broken)).toContain('BR-CO-15');
  });

  it('allows no cent of tolerance where the standard has none (BR-CO-10, BR-CO-13)', () => {
    const lineTotal = ublXml().replace(
      '<cbc:LineExtensionAmount currencyID="EUR">1000.00</cbc:LineExtensionAmount>\n    <cbc:TaxExclusiveAmount',
      '<cbc:LineExtensionAmount currencyID="EUR">1000.01</cbc:LineExtensionAmount>\n    <cbc:TaxExclusiveAmount',
    );
    expect(rules(lineTotal)).toEqual(expect.arrayContaining(['BR-CO-10', 'BR-CO-13']));
  });

  it('accepts a negative invoice whose totals add up (no BR-CO-13 on signed amounts)', () => {
    const negative = ublXml()
      .replaceAll('>1000.00<', '>-1000.00<')
      .replaceAll('>210.00<', '>-210.00<')
      .replaceAll('>1210.00<', '>-1210.00<')
      .replace('unitCode="C62">10<', 'unitCode="C62">-10<');
    const found = rules(negative);
    expect(found).not.toContain('BR-CO-13');
    expect(found).not.toContain('BR-CO-15');
    expect(found).not.toContain('BR-S-08');
  });

  it('reports intra-community supply under BR-IC, at line level, not BR-K', () => {
    const k = ublXml().replace(
      '<cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>21.00</cbc:Percent>',
      '<cac:ClassifiedTaxCategory><cbc:ID>K</cbc:ID><cbc:Percent>21.00</cbc:Percent>',
    );
    const found = rules(k);
    // The line is K at 21 %: its rate breaks BR-IC-05 and the breakdown has no K row (BR-IC-01).
    expect(found).toEqual(expect.arrayContaining(['BR-IC-05', 'BR-IC-01']));
    expect(found.some((r) => r.startsWith('BR-K'))).toBe(false);
  });

  it('judges a partial document only on the contexts it carries', () => {
    const partial = `<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"><cac:InvoicePeriod><cbc:StartDate>2024-03-10</cbc:StartDate><cbc:EndDate>2024-03-01</cbc:EndDate></cac:InvoicePeriod></Invoice>`;
    const found = rules(partial);
    expect(found).toContain('BR-29');
    // No totals element, so none of the totals rules (BR-12..15, BR-CO-10..16) has a context.
    expect(found.filter((r) => /^BR-(1[2-5]|CO-1[0-6])$/.test(r))).toEqual([]);
  });
});

describe('EN 16931 rules on CII', () => {
  it('accepts a ZUGFeRD 1.0 comfort identifier in a CII D16B document (no BR-01)', () => {
    expect(rules(ciiXml(undefined, 'urn:ferd:CrossIndustryDocument:invoice:1p0:comfort'))).toEqual([]);
    expect(rules(ciiXml(undefined, ''))).toContain('BR-01');
  });

  it('reports BR-CO-15 when the VAT total in the invoice currency is missing or wrong', () => {
    const wrong = ciiXml().replace('<ram:GrandTotalAmount>1210.00', '<ram:GrandTotalAmount>1210.01');
    expect(rules(wrong)).toContain('BR-CO-15');
    const noCurrency = ciiXml().replace('<ram:TaxTotalAmount currencyID="EUR">', '<ram:TaxTotalAmount>');
    expect(rules(noCurrency)).toContain('BR-CO-15');
  });

  it('uses BR-IC / BR-AF / BR-AG for K, L and M, at line level', () => {
    const l = ciiXml().replaceAll(
      '<ram:CategoryCode>S</ram:CategoryCode>',
      '<ram:CategoryCode>L</ram:CategoryCode>',
    );
    expect(rules(l)).toEqual([]);
    const k = ciiXml().replaceAll(
      '<ram:CategoryCode>S</ram:CategoryCode>',
      '<ram:CategoryCode>K</ram:CategoryCode>',
    );
    const found = rules(k);
    expect(found).toEqual(expect.arrayContaining(['BR-IC-05', 'BR-IC-09', 'BR-IC-10']));
    expect(found.some((r) => /^BR-[KLM]-/.test(r))).toBe(false);
  });

  it('checks allowances, periods and payment accounts in the CII binding (BR-29, BR-33, BR-50)', () => {
    const allowance =
      '<ram:SpecifiedTradeAllowanceCharge><ram:ChargeIndicator><udt:Indicator>false</udt:Indicator></ram:ChargeIndicator><ram:ActualAmount>0</ram:ActualAmount><ram:CategoryTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>21.00</ram:RateApplicablePercent></ram:CategoryTradeTax></ram:SpecifiedTradeAllowanceCharge>';
    const period =
      '<ram:BillingSpecifiedPeriod><ram:StartDateTime><udt:DateTimeString format="102">20240310</udt:DateTimeString></ram:StartDateTime><ram:EndDateTime><udt:DateTimeString format="102">20240301</udt:DateTimeString></ram:EndDateTime></ram:BillingSpecifiedPeriod>';
    const xml = ciiXml()
      .replace(
        '<ram:ApplicableTradeTax><ram:CalculatedAmount>',
        `${period}<ram:ApplicableTradeTax><ram:CalculatedAmount>`,
      )
      .replace('<ram:SpecifiedTradePaymentTerms>', `${allowance}<ram:SpecifiedTradePaymentTerms>`)
      .replace(/<ram:IBANID>[^<]*<\/ram:IBANID>/, '<ram:IBANID> </ram:IBANID>');
    expect(rules(xml)).toEqual(expect.arrayContaining(['BR-29', 'BR-33', 'BR-CO-21', 'BR-50']));
    expect(rules(xml)).not.toContain('BR-61');
  });
});
