import { describe, expect, it } from 'vitest';
import { extractTextFields } from '../../../src/extraction/text/text-fields.js';
import { isSiretShaped } from '../../../src/extraction/validate/company-id.js';
import type { Word } from '../../../src/extraction/text/words.js';
import { wordsOf } from './fixtures/word-layout.js';

const companyId = (words: Word[]) => extractTextFields(words, 'text')['seller.companyId']?.value;

describe("the seller's company id", () => {
  it.each([
    ['HRA 12345', 'HRA 12345'],
    ['HRB Nr. 372876', 'HRB 372876'],
    ['Amtsgericht Köln HRB 12345', 'HRB 12345'],
    ['Registergericht: VR 98765', 'VR 98765'],
    ['Handelsregister: Amtsgericht Köln HRB 12345', 'HRB 12345'],
    ['Registernummer: HRB 45678', 'HRB 45678'],
    ['Firmenbuchnummer: FN 123456a', 'FN 123456a'],
  ])('keeps the register abbreviation of a commercial register entry: %s -> %s', (printed, id) => {
    const words = wordsOf([
      [400, 100, 'Muster Handel GmbH'],
      [400, 112, 'Hauptstraße 1, 12345 Musterstadt'],
      [400, 124, printed],
      [60, 300, 'Rechnung Nr. 2024-001'],
    ]);
    expect(companyId(words)).toBe(id);
  });

  it.each([
    ['Registrikood: 10137319', '10137319'],
    ['KRS: 0000123456', '0000123456'],
    ['Company Registration No. 07654321', '07654321'],
    ['Registered in England and Wales No. 01234567', '01234567'],
    ['CVR-nr. 12345678', '12345678'],
    ['Org.nr 556677-8899', '556677-8899'],
    ['Y-tunnus 1234567-8', '1234567-8'],
    ['Cg. 01-09-123456', '01-09-123456'],
    ['CIN: U72200KA2010PTC123456', 'U72200KA2010PTC123456'],
    ['Reg. nr 40003000000', '40003000000'],
  ])('reads a company id after its national label: %s -> %s', (printed, id) => {
    expect(companyId(wordsOf([[57, 700, printed]]))).toBe(id);
  });

  it('does not take a VAT registration number for the company registration', () => {
    const words = wordsOf([
      [57, 700, 'VAT Registration No.'],
      [57, 711, 'DE777777777'],
      [200, 700, 'Tax Registration Number: 12345678'],
    ]);
    expect(companyId(words)).toBeUndefined();
  });

  it("reads a SIRET in the seller's block under a label it does not know, not one in the buyer's", () => {
    const words = wordsOf([
      [44, 283, 'Verkäufer:'],
      [44, 306, 'Lieferant GmbH'],
      [44, 317, 'Handelsname: 99999999800010'],
      [44, 328, 'Lieferantenstraße 20'],
      [44, 384, 'Käufer:'],
      [44, 407, 'Kunden AG Mitte'],
      [44, 418, 'Handelsname: 78787878400035'],
    ]);
    expect(companyId(words)).toBe('99999999800010');
    const buyerOnly = wordsOf([
      [44, 384, 'Käufer:'],
      [44, 407, 'Kunden AG Mitte'],
      [44, 418, 'Handelsname: 78787878400035'],
    ]);
    expect(companyId(buyerOnly)).toBeUndefined();
  });

  it('checks the SIREN inside a SIRET', () => {
    expect(isSiretShaped('73282932000074')).toBe(true);
    expect(isSiretShaped('99999999800010')).toBe(true);
    // One digit of the SIREN changed: its Luhn sum no longer holds.
    expect(isSiretShaped('73282933000074')).toBe(false);
    expect(isSiretShaped('00000000000000')).toBe(false);
    expect(isSiretShaped('7328293200007')).toBe(false);
  });
});
