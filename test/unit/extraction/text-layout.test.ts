import { describe, expect, it } from 'vitest';
import { needsMoreLanguages } from '../../../src/extraction/ocr/recognize.js';
import { isWordBreak } from '../../../src/extraction/pdf/page-words.js';
import { extractTextFields } from '../../../src/extraction/text/text-fields.js';
import { wordsOf } from './fixtures/word-layout.js';

const read = (lines: Array<[number, number, string]>): Record<string, string | undefined> =>
  Object.fromEntries(
    Object.entries(extractTextFields(wordsOf(lines), 'text')).map(([k, v]) => [k, v?.value]),
  );

describe('parties', () => {
  it('reads "Verkäufer" as the seller heading and "Käufer" as the buyer heading, skipping "Nummer : …" lines', () => {
    const f = read([
      [50, 100, 'Verkäufer:'],
      [50, 112, 'Nummer'],
      [134, 112, ': 4711'],
      [50, 124, 'Nordlicht Handel GmbH'],
      [50, 136, 'Hafenweg 3'],
      [50, 148, 'USt-IdNr.: DE811907980'],
      [50, 180, 'Käufer/Leistungsempfänger:'],
      [50, 192, 'Nummer'],
      [134, 192, ': 0815'],
      [50, 204, 'Beispielkunde AG'],
      [50, 216, 'USt-IdNr.: DE129273398'],
    ]);
    expect(f['seller.name']).toBe('Nordlicht Handel GmbH');
    expect(f['seller.vatId']).toBe('DE811907980');
    expect(f['buyer.name']).toBe('Beispielkunde AG');
    expect(f['buyer.vatId']).toBe('DE129273398');
  });

  it('keeps a tax representative or delivery address away from seller and buyer', () => {
    const f = read([
      [50, 100, 'Verkäufer:'],
      [50, 112, 'Nordlicht Handel GmbH'],
      [50, 124, 'USt-IdNr.: DE811907980'],
      [50, 160, 'Steuerbevollmächtigter des Verkäufers:'],
      [50, 172, 'Steuerkanzlei Ost GmbH'],
      [50, 184, 'USt-IdNr.: DE129273398'],
    ]);
    expect(f['seller.vatId']).toBe('DE811907980');
    expect(f['buyer.vatId']).toBeUndefined();
  });

  it('takes the recipient under the return address line as the buyer and joins a salutation', () => {
    const f = read([
      [70, 150, 'Kleine Werkstatt GmbH ● Ringstraße 5 ● 12345 Beispielstadt'],
      [70, 165, 'Herrn'],
      [70, 177, 'Karl Beispiel'],
      [70, 189, 'Parkallee 9'],
    ]);
    expect(f['buyer.name']).toBe('Herrn Karl Beispiel');
    expect(f['seller.name']).toBe('Kleine Werkstatt GmbH');
  });

  it('joins a "Name:" value with its wrapped first line above', () => {
    const f = read([
      [70, 100, 'Verkäufer'],
      [261, 118, 'Erste Beispiel'],
      [70, 130, 'Name:'],
      [261, 130, 'Versicherung Muster a.G.'],
    ]);
    expect(f['seller.name']).toBe('Erste Beispiel Versicherung Muster a.G.');
  });

  it('takes "Name" as a label only as a whole word: "Namesti 5" is a street, "Firmament" part of a name', () => {
    const f = read([
      [50, 100, 'Verkäufer:'],
      [50, 112, 'Firmament Solar GmbH'],
      [50, 124, 'Hafenweg 3'],
      [330, 100, 'Rechnungsempfänger:'],
      [330, 112, 'Kunde Beispiel s.r.o.'],
      [330, 124, 'Namesti 5'],
      [330, 136, '110 00 Praha'],
    ]);
    expect(f['seller.name']).toBe('Firmament Solar GmbH');
    expect(f['buyer.name']).toBe('Kunde Beispiel s.r.o.');
  });
});

describe('dates and numbers', () => {
  it('takes the issue date from the title line after the invoice number, not a version line', () => {
    const f = read([
      [40, 60, 'Stylesheet-Version: 2.1 vom 24.03.2020'],
      [40, 100, 'Handelsrechnung Nr. 2024-118 vom 05.03.2024'],
    ]);
    expect(f.invoiceNumber).toBe('2024-118');
    expect(f.issueDate).toBe('2024-03-05');
  });

  it('prefers a label directly before its value over a label deep inside a sentence', () => {
    const f = read([
      [40, 100, 'Rechnung Nr. R-77 vom 01.02.2024'],
      [40, 300, 'Bei Schriftwechsel bitte Ihre Kundennummer 1234 und Belegnummer 998877 angeben'],
    ]);
    expect(f.invoiceNumber).toBe('R-77');
  });

  it('reads the invoice currency, not the currency of the VAT accounting', () => {
    const f = read([
      [50, 100, 'Rechnungswährung'],
      [176, 100, ': GBP'],
      [50, 112, 'Währung der Umsatzsteuerbuchung : EUR'],
    ]);
    expect(f.currency).toBe('GBP');
  });

  it('reads a due date from "Bitte überweisen Sie bis zum …" and a date with a space before the comma', () => {
    expect(read([[57, 600, 'Bitte überweisen Sie bis zum 30.05.2024.']]).dueDate).toBe('2024-05-30');
    expect(
      read([
        [257, 130, 'Invoice Date:'],
        [516, 130, 'August 3 , 2024'],
      ]).issueDate,
    ).toBe('2024-08-03');
  });

  it('takes the date alone under the "Invoice <number>" title, not the due date in the header table', () => {
    const f = read([
      [40, 30, 'Invoice 5512'],
      [40, 48, 'February 17, 2026'],
      [40, 120, 'Acme Trading Ltd'],
      [40, 240, 'Your Reference'],
      [310, 240, 'Due Date'],
      [310, 254, 'March 3, 2026'],
      [40, 700, 'Footer line'],
      [480, 700, 'Page 1'],
    ]);
    expect(f.issueDate).toBe('2026-02-17');
    expect(f.dueDate).toBe('2026-03-03');
  });

  it('reads the letter date of an insurance invoice, not the start of a "vom … bis …" period', () => {
    const f = read([
      [340, 120, '24. Januar 2014'],
      [40, 160, 'Beitragsrechnung'],
      [40, 200, 'der Beitrag für den Zeitraum vom 06.12.2013 bis zum 06.12.2014 ist fällig'],
      [40, 700, 'Mit freundlichen Grüßen'],
    ]);
    expect(f.issueDate).toBe('2014-01-24');
  });
});

describe('totals', () => {
  it('does not take a line amount under an item-table column header as the total', () => {
    const f = read([
      [60, 390, 'Menge'],
      [120, 390, 'Produkt'],
      [421, 390, 'Gesamtbetrag'],
      [60, 410, '1,00'],
      [120, 410, 'Beratung'],
      [421, 410, '160,00 €'],
      [57, 490, 'Summe netto: 160,00 €'],
      [57, 505, 'Zuzügl. USt: 30,40 €'],
      [57, 520, 'Summe inkl. USt: 190,40 €'],
    ]);
    expect(f['totals.gross']).toBe('190.40');
    expect(f['totals.tax']).toBe('30.40');
  });

  it('reads the grand total from the last column of a totals row and ignores a date in the label', () => {
    expect(
      read([
        [40, 400, 'Total facture'],
        [335, 400, '24.99'],
        [431, 400, '5.00'],
        [530, 400, '29.99'],
      ])['totals.gross'],
    ).toBe('29.99');
    expect(
      read([
        [257, 146, 'TOTAL AMOUNT DUE ON August 3 , 2024'],
        [546, 146, '$4.11'],
      ])['totals.due'],
    ).toBe('4.11');
  });

  it('reads totals from the value row under a totals-table header', () => {
    const f = read([
      [50, 700, 'Warenwert'],
      [338, 700, 'Nettobetrag'],
      [410, 700, 'MwSt-Betrag'],
      [525, 700, 'Endbetrag'],
      [59, 712, '100,00'],
      [352, 712, '100,00'],
      [429, 712, '19,00'],
      [534, 712, '119,00'],
    ]);
    expect(f['totals.gross']).toBe('119.00');
  });

  it('prefers an amount with decimals over a zero total and reads receipt amounts like "RM15.90"', () => {
    const f = read([
      [50, 500, 'Total'],
      [169, 500, 'RM'],
      [663, 500, '7.30'],
      [50, 540, 'Total'],
      [170, 540, 'Savings'],
      [664, 540, '0.00'],
    ]);
    expect(f['totals.gross']).toBe('7.30');
    expect(
      read([
        [50, 100, 'TOTAL'],
        [300, 100, 'RM15.90'],
      ])['totals.gross'],
    ).toBe('15.90');
  });

  it('fills the amount due from the grand total and the payment reference from the invoice number', () => {
    const f = read([
      [57, 100, 'Rechnung Nr. R-2024-5 vom 02.01.2024'],
      [57, 500, 'Gesamtbetrag: 119,00 €'],
      [429, 700, 'IBAN DE02120300000000202051'],
    ]);
    expect(f['totals.due']).toBe('119.00');
    expect(f['payment.reference']).toBe('R-2024-5');
  });

  it('keeps a printed IBAN with a bad checksum after its label so validation can report it', () => {
    expect(
      read([
        [70, 575, 'IBAN :'],
        [308, 575, 'DE12 1234 5678 9012 3456 78'],
      ])['payment.iban'],
    ).toBe('DE12123456789012345678');
  });
});

describe('text layer and OCR helpers', () => {
  it('keeps kerned pairs ("T otal") in one word but splits at real spaces and column jumps', () => {
    expect(isWordBreak(-1.4, 10, false)).toBe(false);
    expect(isWordBreak(3.5, 10, true)).toBe(true);
    expect(isWordBreak(-120, 10, false)).toBe(true);
  });

  it('asks for the German/Czech models only when the English pass shows such words', () => {
    const w = (...texts: string[]) => wordsOf(texts.map((t, i) => [10, i * 12, t]));
    expect(needsMoreLanguages(w('TOTAL', 'CASH', 'CHANGE'))).toBe(false);
    expect(needsMoreLanguages(w('Rechnung', 'MwSt', 'Summe'))).toBe(true);
  });
});
