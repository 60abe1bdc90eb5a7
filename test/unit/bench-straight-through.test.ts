/**
 * bench:stp leaves out, and reports apart, a document whose page prints none of its truth's values
 * (another invoice than the XML the truth comes from): scored, it would count a right reading of
 * the page as wrong fields, and its automation as a success or a failure it is not.
 */
import { describe, expect, it } from 'vitest';
import { printsAnotherInvoice } from '../../bench/straight-through.js';
import type { CorpusEntry } from '../../bench/corpus-scoring.js';

const entry = (textLayerCheck?: CorpusEntry['textLayerCheck']): CorpusEntry =>
  ({ id: 'x', file: 'files/x.pdf', kind: 'pdf-visual-only', expected: {}, textLayerCheck }) as CorpusEntry;

describe('printsAnotherInvoice', () => {
  it('is true only when the text-layer check found none of the truth on the page', () => {
    expect(printsAnotherInvoice(entry({ found: [], notFound: ['invoiceNumber', 'totals.gross'] }))).toBe(
      true,
    );
    // Some values not printed (other totals or dates than the XML): scored, with the split.
    expect(printsAnotherInvoice(entry({ found: ['invoiceNumber'], notFound: ['totals.gross'] }))).toBe(false);
    // Not checked at all, or nothing to check: scored as printed.
    expect(printsAnotherInvoice(entry())).toBe(false);
    expect(printsAnotherInvoice(entry({ found: [], notFound: [] }))).toBe(false);
  });
});
