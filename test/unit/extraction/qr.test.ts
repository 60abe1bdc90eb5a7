import QRCode from 'qrcode';
import { afterAll, describe, expect, it } from 'vitest';
import { disposeExtraction, extractInvoice } from '../../../src/extraction/index.js';
import { parsePaymentCode } from '../../../src/extraction/qr/payment-codes.js';
import { englishLayout, germanLayout, pdfWithQr } from './fixtures/pdf-fixtures.js';

afterAll(disposeExtraction);

const SPAYD = 'SPD*1.0*ACC:CZ6508000000192000145399*AM:1210.00*CC:CZK*X-VS:20240042*DT:20240328*MSG:FAKTURA';
const EPC = [
  'BCD',
  '002',
  '1',
  'SCT',
  'COBADEFFXXX',
  'Muster Lieferant GmbH',
  'DE02120300000000202051',
  'EUR1210.00',
  '',
  '20240042',
  '',
].join('\n');

async function qrPng(text: string): Promise<Uint8Array> {
  return new Uint8Array(await QRCode.toBuffer(text, { type: 'png', margin: 2, scale: 6 }));
}

describe('payment QR payloads', () => {
  it('parses SPAYD, EPC and Swiss QR-bill', () => {
    expect(parsePaymentCode(SPAYD)).toMatchObject({
      kind: 'spayd',
      'payment.iban': 'CZ6508000000192000145399',
      'totals.due': '1210.00',
      currency: 'CZK',
      'payment.reference': '20240042',
      dueDate: '2024-03-28',
    });
    expect(parsePaymentCode(EPC)).toMatchObject({
      kind: 'epc',
      'payment.iban': 'DE02120300000000202051',
      'totals.due': '1210.00',
      currency: 'EUR',
      'payment.reference': '20240042',
    });
    const swiss = [
      'SPC',
      '0200',
      '1',
      'CH4431999123000889012',
      'S',
      'Robert Schneider AG',
      'Rue du Lac',
      '1268',
      '2501',
      'Biel',
      'CH',
      '',
      '',
      '',
      '',
      '',
      '',
      '',
      '1949.75',
      'CHF',
      'S',
      'Pia-Maria Rutschmann-Schnyder',
      'Grosse Marktgasse',
      '28',
      '9400',
      'Rorschach',
      'CH',
      'QRR',
      '210000000003139471430009017',
      'Order',
      'EPD',
    ].join('\n');
    expect(parsePaymentCode(swiss)).toMatchObject({
      kind: 'swiss',
      'payment.iban': 'CH4431999123000889012',
      'totals.due': '1949.75',
      currency: 'CHF',
    });
    expect(parsePaymentCode('https://example.com')).toBeNull();
  });
});

describe('the payment code names the creditor', () => {
  it('reads the SPAYD recipient (RN) as the seller and lets it replace a doubtful page reading', async () => {
    const { mergePaymentCode } = await import('../../../src/extraction/qr/merge.js');
    const code = parsePaymentCode(`${SPAYD}*RN:DEMO OBCHOD S.R.O.`)!;
    expect(code['seller.name']).toBe('DEMO OBCHOD S.R.O.');
    const weak = { 'seller.name': { value: 'DEM0 0BCH0D', confidence: 0.4, source: 'ocr' as const } };
    mergePaymentCode(weak, code, 1);
    expect(weak['seller.name']).toMatchObject({ value: 'DEMO OBCHOD S.R.O.', source: 'qr' });
    const sure = { 'seller.name': { value: 'Jiná Firma s.r.o.', confidence: 0.9, source: 'text' as const } };
    const findings = mergePaymentCode(sure, code, 1);
    expect(sure['seller.name'].source).toBe('text');
    expect(findings).toContainEqual(expect.objectContaining({ code: 'qr_mismatch', field: 'seller.name' }));
  });
});

describe('payment QR codes on pages and images', () => {
  it('decodes an EPC code printed on a PDF and confirms the page values', async () => {
    const r = await extractInvoice(
      { bytes: await pdfWithQr(germanLayout(), await qrPng(EPC)) },
      { ocr: false },
    );
    expect(r.fields['payment.reference']?.value).toBe('20240042');
    expect(r.fields['payment.iban']?.confidence).toBeGreaterThanOrEqual(0.95);
    expect(r.fields['totals.gross']?.confidence).toBeGreaterThanOrEqual(0.95);
    expect(r.findings.map((f) => f.code)).not.toContain('qr_mismatch');
  });

  it('reports a SPAYD code that disagrees with the page', async () => {
    const r = await extractInvoice(
      { bytes: await pdfWithQr(englishLayout(), await qrPng(SPAYD)) },
      { ocr: false },
    );
    expect(r.findings.filter((f) => f.code === 'qr_mismatch').map((f) => f.field)).toEqual(
      expect.arrayContaining(['payment.iban', 'currency']),
    );
    expect(r.fields['payment.iban']).toMatchObject({ value: 'CZ6508000000192000145399', source: 'qr' });
  });

  it('decodes a QR code in a PNG image without OCR', async () => {
    const r = await extractInvoice({ bytes: await qrPng(SPAYD) }, { ocr: false });
    expect(r.format).toBe('image');
    expect(r.fields['totals.due']).toMatchObject({ value: '1210.00', source: 'qr' });
  });
});
