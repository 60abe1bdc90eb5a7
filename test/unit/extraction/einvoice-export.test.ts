import { describe, expect, it } from 'vitest';
import { checkConformance } from '../../../src/extraction/export/conformance.js';
import { exportEInvoice } from '../../../src/extraction/export/index.js';
import { writeUbl } from '../../../src/extraction/export/ubl.js';
import { extractInvoice, type ExtractionResult } from '../../../src/extraction/index.js';
import { normaliseId } from '../../../src/extraction/fields/ids.js';
import { VAT_ID_IN_TEXT } from '../../../src/extraction/text/parsers.js';
import { bytes, isdocXml, ublXml } from './fixtures/xml-fixtures.js';

/** The EN 16931 exports on small invoices made here: what they keep, claim and refuse. */
const read = (xml: string): Promise<ExtractionResult> => extractInvoice({ bytes: bytes(xml) });

/** An ISDOC as Pohoda and Money S3 write it: a cash part first, the bank transfer second. */
function isdocCashFirst(vatId = 'CZ 123.456.78'): string {
  return isdocXml()
    .replace(
      /<PaymentMeans>.*<\/PaymentMeans>/s,
      `<PaymentMeans>
      <Payment><PaidAmount>210.00</PaidAmount><PaymentMeansCode>10</PaymentMeansCode></Payment>
      <Payment><PaidAmount>1000.00</PaidAmount><PaymentMeansCode>42</PaymentMeansCode>
        <Details><PaymentDueDate>2024-04-30</PaymentDueDate><ID>123456789</ID><BankCode>0100</BankCode><Name>KB</Name>
          <IBAN>CZ6508000000192000145399</IBAN><BIC>KOMBCZPP</BIC><VariableSymbol>77001</VariableSymbol></Details></Payment>
    </PaymentMeans>`,
    )
    .replace(/(<AccountingSupplierParty>.*?<CompanyID>)[^<]*/s, `$1${vatId}`);
}

/** A UBL invoice with an exempt line (rate 0, category E with its reason), an allowance and prepaid amount. */
function ublExempt(): string {
  return ublXml()
    .replace(
      '<cac:TaxTotal><cbc:TaxAmount currencyID="EUR">210.00</cbc:TaxAmount>',
      `<cac:AllowanceCharge><cbc:ChargeIndicator>false</cbc:ChargeIndicator><cbc:AllowanceChargeReasonCode>95</cbc:AllowanceChargeReasonCode><cbc:AllowanceChargeReason>Discount</cbc:AllowanceChargeReason><cbc:Amount currencyID="EUR">100.00</cbc:Amount>
        <cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>21.00</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory></cac:AllowanceCharge>
      <cac:TaxTotal><cbc:TaxAmount currencyID="EUR">189.00</cbc:TaxAmount>`,
    )
    .replace(
      /<cac:TaxSubtotal>.*?<\/cac:TaxSubtotal>/s,
      `<cac:TaxSubtotal><cbc:TaxableAmount currencyID="EUR">900.00</cbc:TaxableAmount><cbc:TaxAmount currencyID="EUR">189.00</cbc:TaxAmount>
        <cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>21.00</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory></cac:TaxSubtotal>
      <cac:TaxSubtotal><cbc:TaxableAmount currencyID="EUR">50.00</cbc:TaxableAmount><cbc:TaxAmount currencyID="EUR">0.00</cbc:TaxAmount>
        <cac:TaxCategory><cbc:ID>E</cbc:ID><cbc:Percent>0</cbc:Percent><cbc:TaxExemptionReason>Article 132 (1)(i)</cbc:TaxExemptionReason><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory></cac:TaxSubtotal>`,
    )
    .replace(
      /<cac:LegalMonetaryTotal>.*<\/cac:LegalMonetaryTotal>/s,
      `<cac:LegalMonetaryTotal><cbc:LineExtensionAmount currencyID="EUR">1050.00</cbc:LineExtensionAmount>
        <cbc:TaxExclusiveAmount currencyID="EUR">950.00</cbc:TaxExclusiveAmount><cbc:TaxInclusiveAmount currencyID="EUR">1139.00</cbc:TaxInclusiveAmount>
        <cbc:AllowanceTotalAmount currencyID="EUR">100.00</cbc:AllowanceTotalAmount><cbc:PrepaidAmount currencyID="EUR">139.00</cbc:PrepaidAmount>
        <cbc:PayableAmount currencyID="EUR">1000.00</cbc:PayableAmount></cac:LegalMonetaryTotal>`,
    )
    .replace(
      '</Invoice>',
      `<cac:InvoiceLine><cbc:ID>2</cbc:ID><cbc:InvoicedQuantity unitCode="C62">1</cbc:InvoicedQuantity>
        <cbc:LineExtensionAmount currencyID="EUR">50.00</cbc:LineExtensionAmount>
        <cac:Item><cbc:Name>Training</cbc:Name><cac:ClassifiedTaxCategory><cbc:ID>E</cbc:ID><cbc:Percent>0</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory></cac:Item>
        <cac:Price><cbc:PriceAmount currencyID="EUR">50.00</cbc:PriceAmount></cac:Price></cac:InvoiceLine></Invoice>`,
    );
}

describe('ISDOC reading', () => {
  it('takes IBAN, due date and variable symbol from the bank transfer even when cash comes first', async () => {
    const r = await read(isdocCashFirst());
    expect(r.fields['payment.iban']?.value).toBe('CZ6508000000192000145399');
    expect(r.fields.dueDate?.value).toBe('2024-04-30');
    expect(r.fields['payment.reference']?.value).toBe('77001');
    expect(r.einvoice?.paymentMeans.map((m) => m.code)).toEqual(['10', '42']);
    expect(r.einvoice?.paymentMeans[1]).toMatchObject({
      account: 'CZ6508000000192000145399',
      bic: 'KOMBCZPP',
    });
  });

  it('writes VAT IDs without spaces or dots', async () => {
    const r = await read(isdocCashFirst('CZ 123.456.78'));
    expect(r.fields['seller.vatId']?.value).toBe('CZ12345678');
    expect(r.einvoice?.seller.vatId).toBe('CZ12345678');
  });
});

describe('e-invoice exports', () => {
  it('keeps an exempt category, its reason, the allowance and the prepaid amount in UBL and CII', async () => {
    const source = await read(ublExempt());
    expect(source.findings.filter((f) => f.severity === 'error')).toEqual([]);
    for (const format of ['ubl', 'cii'] as const) {
      const { xml, conformance } = exportEInvoice(source, format);
      expect(conformance, format).toMatchObject({ en16931: true, missing: [], rules: [] });
      const back = await read(xml);
      expect(
        back.findings.filter((f) => f.severity === 'error'),
        format,
      ).toEqual([]);
      expect(back.einvoice?.vat, format).toEqual(source.einvoice?.vat);
      expect(back.einvoice?.lines.map((l) => [l.category, l.rate])).toEqual([
        ['S', '21.00'],
        ['E', '0'],
      ]);
      expect(back.einvoice?.allowanceCharges, format).toEqual(source.einvoice?.allowanceCharges);
      expect(back.einvoice?.totals, format).toEqual(source.einvoice?.totals);
    }
    // BT-106 (lines) and BT-109 (net after the allowance) are different amounts, both written.
    const ubl = exportEInvoice(source, 'ubl').xml;
    expect(ubl).toContain('<cbc:LineExtensionAmount currencyID="EUR">1050.00</cbc:LineExtensionAmount>');
    expect(ubl).toContain('<cbc:TaxExclusiveAmount currencyID="EUR">950.00</cbc:TaxExclusiveAmount>');
    expect(ubl).toContain('<cbc:TaxExemptionReason>Article 132 (1)(i)</cbc:TaxExemptionReason>');
  });

  it('carries the ISDOC payment reference and categories through an ISDOC export, cash first or not', async () => {
    const source = await read(isdocCashFirst());
    const { xml, conformance } = exportEInvoice(source, 'isdoc');
    expect(conformance.missing).toContain('BT-40'); // the fixture has no postal addresses
    const back = await read(xml);
    expect(back.fields['payment.reference']?.value).toBe('77001');
    expect(back.fields['payment.iban']?.value).toBe('CZ6508000000192000145399');
    expect(back.fields.dueDate?.value).toBe('2024-04-30');
    expect(back.vatBreakdown.map((r) => r.category)).toEqual(['S']);
  });

  it('writes the payment reference without an IBAN, and reads it back', async () => {
    const source = await read(
      ublXml().replace(/<cac:PayeeFinancialAccount>.*?<\/cac:PayeeFinancialAccount>/s, ''),
    );
    const back = await read(exportEInvoice(source, 'ubl').xml);
    expect(back.fields['payment.reference']?.value).toBe(source.fields['payment.reference']?.value);
    expect(back.fields['payment.iban']).toBeUndefined();
  });

  it('names the missing terms instead of guessing: no addresses, rate 0 without category, unknown VAT total', async () => {
    const source = await read(ublXml());
    const inv = structuredClone(source.einvoice!);
    delete inv.buyer.address;
    inv.lines[0]!.category = '';
    delete inv.totals.tax;
    const c = checkConformance(inv);
    expect(c.en16931).toBe(false);
    expect(c.missing).toEqual(expect.arrayContaining(['BT-55', 'BT-151', 'BT-110']));
    // A total that is unknown is not written as 0.00.
    expect(writeUbl(inv, c)).not.toMatch(/<cac:TaxTotal><cbc:TaxAmount[^>]*>0\.00/);
  });

  it('claims Peppol BIS 3 only with buyer reference and electronic addresses', async () => {
    const source = await read(ublXml());
    const plain = exportEInvoice(source, 'ubl');
    expect(plain.conformance).toMatchObject({ en16931: true, peppol: false });
    expect(plain.conformance.peppolMissing).toEqual(['BT-10', 'BT-34', 'BT-49']);
    expect(plain.xml).toContain('<cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>');
    const peppol = await read(
      ublXml()
        .replace(
          '<cbc:DocumentCurrencyCode>',
          '<cbc:BuyerReference>PO-7</cbc:BuyerReference><cbc:DocumentCurrencyCode>',
        )
        .replace(
          /(<cac:AccountingSupplierParty><cac:Party>)/,
          '$1<cbc:EndpointID schemeID="9930">DE136695976</cbc:EndpointID>',
        )
        .replace(
          /(<cac:AccountingCustomerParty><cac:Party>)/,
          '$1<cbc:EndpointID schemeID="9929">CZ25596641</cbc:EndpointID>',
        )
        .replace(/(<cac:AccountingCustomerParty><cac:Party>.*?)<cbc:DocumentCurrencyCode>/s, '$1'),
    );
    const claimed = exportEInvoice(peppol, 'ubl');
    expect(claimed.conformance).toMatchObject({ en16931: true, peppol: true });
    expect(claimed.xml).toContain(
      '#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0</cbc:CustomizationID>',
    );
    expect(claimed.xml).toContain(
      '<cbc:ProfileID>urn:fdc:peppol.eu:2017:poacc:billing:01:1.0</cbc:ProfileID>',
    );
  });
});

describe('VAT IDs printed with dots', () => {
  it('are found in text and normalised without dots or spaces', () => {
    const found = [...'DIČ: CZ 123.456.78, BTW BE 0123.456.789'.matchAll(VAT_ID_IN_TEXT)].map((m) =>
      normaliseId(m[0]),
    );
    expect(found).toEqual(['CZ12345678', 'BE0123456789']);
  });
});
