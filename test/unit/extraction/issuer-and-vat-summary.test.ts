import { describe, expect, it } from 'vitest';
import { companyIdFromVatId } from '../../../src/extraction/fields/company-id-from-vat.js';
import { extractTextFields } from '../../../src/extraction/text/text-fields.js';
import type { Word } from '../../../src/extraction/text/words.js';
import { wordsOf } from './fixtures/word-layout.js';

const fields = (words: Word[], source: 'text' | 'ocr' = 'ocr') => extractTextFields(words, source);
const values = (words: Word[], source: 'text' | 'ocr' = 'ocr') =>
  Object.fromEntries(Object.entries(fields(words, source)).map(([k, v]) => [k, v?.value]));

/** Words of one line scaled to a taller text height (a letterhead printed larger than the body). */
function large(x: number, y: number, text: string, height: number): Word[] {
  return wordsOf([[x, y, text]]).map((w) => ({
    ...w,
    x1: w.x0 + (w.x1 - w.x0) * (height / 10),
    y1: w.y0 + height,
  }));
}

describe('the letterhead names the issuer', () => {
  it('takes the top line above the registration number and address of a receipt, with its box', () => {
    const words = wordsOf([
      [80, 20, 'RESTORAN CONTOH MAJU'],
      [100, 36, '(001234567-W)'],
      [60, 52, 'NO. 2, JALAN TEMENGGUNG 19/9,'],
      [60, 68, '43200 CHERAS, SELANGOR'],
      [60, 100, 'TAX INVOICE'],
      [60, 140, 'TOTAL 12.50'],
    ]);
    const seller = fields(words)['seller.name'];
    expect(seller).toMatchObject({ value: 'RESTORAN CONTOH MAJU', source: 'ocr', page: 1 });
    expect(seller?.bbox?.[1]).toBe(20);
    expect(seller?.bbox?.[0]).toBe(80);
  });

  it('joins a spaced-out letterhead, drops OCR specks at its ends and repairs "SDN 8HD"', () => {
    const words = [
      ...wordsOf([
        [0, 20, '|'],
        [40, 20, 'KEDAI'],
        [80, 20, 'BUKU'],
        [120, 20, 'CAHAYA'],
        [165, 20, 'SDN'],
        [190, 20, '8HD'],
        [330, 20, '3E'],
      ]),
      ...wordsOf([
        [60, 36, 'CO. REG: 123456-K'],
        [60, 52, 'LOT 5, JALAN MAWAR 2, 43000 KAJANG'],
        [60, 90, 'TOTAL 9.00'],
      ]),
    ];
    expect(values(words)['seller.name']).toBe('KEDAI BUKU CAHAYA SDN BHD');
  });

  it('strips "OWNED BY:" and skips logo noise above the name', () => {
    const words = [
      ...large(60, 0, 'i ih =', 40),
      ...wordsOf([
        [40, 50, 'OWNED BY: CHEF CONTOH SDN BHD'],
        [60, 66, 'CO. NO. (458592-T)'],
        [60, 82, 'LG226, 1 UTAMA SHOPPING CENTRE'],
      ]),
    ];
    expect(values(words)['seller.name']).toBe('CHEF CONTOH SDN BHD');
  });

  it('prefers the legal name printed lower on the page when it starts with the letterhead brand', () => {
    const words = [
      ...large(50, 30, 'Nordwind Invoice', 18),
      ...wordsOf([
        [50, 60, 'Invoice Number: 42183017'],
        [50, 76, 'Invoice Date: 2014-08-03'],
        [50, 400, 'Total 4.11'],
        [50, 700, 'All services are sold by Nordwind Services, Inc.'],
      ]),
    ];
    expect(values(words, 'text')['seller.name']).toBe('Nordwind Services, Inc.');
  });

  it('gives nothing when the top of the receipt is an address line (the name was not readable)', () => {
    const words = wordsOf([
      [40, 20, 'NO.2-1-1 JALAN PRIMA'],
      [60, 36, 'TAX INVOICE'],
      [60, 80, 'TOTAL 15.00'],
    ]);
    expect(values(words)['seller.name']).toBeUndefined();
  });

  it('does not take the buyer of an invoice for its letterhead', () => {
    const words = wordsOf([
      [50, 20, 'Kunde Beispiel s.r.o.'],
      [50, 36, 'Namesti 5, 110 00 Praha'],
      [50, 80, 'Rechnungsempfänger:'],
      [50, 96, 'Kunde Beispiel s.r.o.'],
      [300, 80, 'Verkäufer:'],
      [300, 96, 'Muster Lieferant GmbH'],
    ]);
    const v = values(words, 'text');
    expect(v['seller.name']).toBe('Muster Lieferant GmbH');
    expect(v['buyer.name']).toBe('Kunde Beispiel s.r.o.');
  });

  it('keeps side-by-side blocks apart: the seller VAT ID under the seller heading, the buyer one under the buyer heading', () => {
    const words = wordsOf([
      [57, 89, 'DODAVATEL:'],
      [272, 89, 'DODACÍ ADRESA:'],
      [57, 100, 'Demo s.r.o.'],
      [289, 100, 'Odběratel 1'],
      [57, 111, 'DIČ: CZ12345678'],
      [57, 150, 'IBAN: CZ6508000000192000145399'],
      [272, 170, 'ODBĚRATEL:'],
      [272, 181, 'Odběratel 1'],
      [450, 181, 'DIČ: CZ11122233'],
    ]);
    const v = values(words, 'text');
    expect(v['seller.vatId']).toBe('CZ12345678');
    expect(v['buyer.vatId']).toBe('CZ11122233');
    // The Czech DIČ of a company is CZ + IČO.
    expect(v['seller.companyId']).toBe('12345678');
  });
});

describe('net and tax from the VAT summary table', () => {
  it('reads a Czech summary by column, from its total row', () => {
    const words = wordsOf([
      [275, 600, 'Částky v CZK'],
      [415, 600, 'Bez DPH'],
      [486, 600, 'DPH'],
      [516, 600, 'Celkem s DPH'],
      [275, 616, 'Základní sazba 21%'],
      [409, 616, '60 500,00'],
      [466, 616, '12 705,00'],
      [528, 616, '73 205,00'],
      [275, 628, 'Snížená sazba 12%'],
      [414, 628, '2 500,00'],
      [477, 628, '300,00'],
      [532, 628, '2 800,00'],
      [275, 640, 'Celkem'],
      [409, 640, '63 000,00'],
      [466, 640, '13 005,00'],
      [528, 640, '76 005,00'],
      [275, 680, 'Částka k úhradě 76 005,00'],
    ]);
    const v = values(words, 'text');
    expect(v['totals.net']).toBe('63000.00');
    expect(v['totals.tax']).toBe('13005.00');
    expect(v['totals.gross']).toBe('76005.00');
  });

  it('adds the rate rows of a German receipt that prints no total row for them', () => {
    const words = wordsOf([
      [20, 20, 'Bäckerei Beispiel GmbH'],
      [20, 36, 'Hauptstraße 1, 10115 Berlin'],
      [20, 100, 'SUMME EUR 14,90'],
      [20, 130, 'MwSt'],
      [80, 130, 'Netto'],
      [140, 130, 'Steuer'],
      [200, 130, 'Brutto'],
      [20, 146, 'A 7%'],
      [80, 146, '9,35'],
      [140, 146, '0,65'],
      [200, 146, '10,00'],
      [20, 162, 'B 19%'],
      [80, 162, '4,12'],
      [140, 162, '0,78'],
      [200, 162, '4,90'],
      [20, 190, 'Vielen Dank für Ihren Einkauf'],
    ]);
    const v = values(words);
    expect(v['totals.net']).toBe('13.47');
    expect(v['totals.tax']).toBe('1.43');
    expect(v['totals.gross']).toBe('14.90');
  });

  it('reads Estonian and Polish summary headers', () => {
    const estonian = wordsOf([
      [20, 100, 'KOKKU 12,20'],
      [20, 130, 'Käibemaks'],
      [100, 130, 'Maksustatav'],
      [200, 130, 'Käibemaks'],
      [20, 146, 'A 22%'],
      [100, 146, '10,00'],
      [200, 146, '2,20'],
    ]);
    expect(values(estonian)).toMatchObject({ 'totals.net': '10.00', 'totals.tax': '2.20' });
    const polish = wordsOf([
      [20, 100, 'SUMA PLN 24,60'],
      [20, 130, 'Stawka'],
      [100, 130, 'Wartość netto'],
      [200, 130, 'Kwota VAT'],
      [20, 146, 'A 23%'],
      [100, 146, '20,00'],
      [200, 146, '4,60'],
    ]);
    expect(values(polish)).toMatchObject({ 'totals.net': '20.00', 'totals.tax': '4.60' });
  });

  it('leaves net and tax empty on a receipt that prints only the total', () => {
    const v = values(
      wordsOf([
        [20, 20, 'EXAMPLE TRADING SDN BHD'],
        [20, 36, 'NO. 12, JALAN CONTOH 3/4, 43000 KAJANG'],
        [20, 100, 'TOTAL 30.00'],
      ]),
    );
    expect(v['totals.gross']).toBe('30.00');
    expect(v['totals.net']).toBeUndefined();
    expect(v['totals.tax']).toBeUndefined();
  });
});

describe('company ids that are part of the VAT ID', () => {
  it.each([
    ['FR60421938861', '421938861'],
    ['CZ12345678', '12345678'],
    ['BE0477472701', '0477472701'],
    ['CZ7103192745', null],
    ['DE136695976', null],
  ])('%s -> %s', (vat, id) => expect(companyIdFromVatId(vat)).toBe(id));
});

describe('tax ids that anchor the seller block', () => {
  it.each([
    ['NIP: 526-025-09-95', 'PL5260250995'],
    ['GSTIN: 29AAACW8842J1ZU', '29AAACW8842J1ZU'],
    ['ABN 51 824 753 556', '51824753556'],
    ['EIN: 12-3456789', '123456789'],
    ['GST ID : 000750673920', '000750673920'],
    ['VAT No. CY10259033P', 'CY10259033P'],
    ['VAT MT15121333', 'MT15121333'],
  ])('reads "%s" as the seller tax id %s', (line, id) => {
    const words = wordsOf([
      [40, 20, 'Example Trading Ltd'],
      [40, 36, line],
      [40, 100, 'TOTAL 12.00'],
    ]);
    expect(values(words, 'text')['seller.vatId']).toBe(id);
  });

  it('does not take a NIP whose checksum fails', () => {
    const words = wordsOf([
      [40, 36, 'NIP: 526-025-09-96'],
      [40, 100, 'TOTAL 12.00'],
    ]);
    expect(values(words, 'text')['seller.vatId']).toBeUndefined();
  });
});
