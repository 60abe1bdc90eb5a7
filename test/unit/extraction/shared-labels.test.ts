import { describe, expect, it } from 'vitest';
import {
  applySharedLabels,
  isShareableLabel,
  MAX_SHARED_LABELS_PER_FIELD,
  SHARED_LABEL_CONFIDENCE,
} from '../../../src/extraction/hints/shared-labels.js';
import type { SharedLabel } from '../../../src/extraction/hints/types.js';
import { extractTextFields } from '../../../src/extraction/text/text-fields.js';
import type { Word } from '../../../src/extraction/text/words.js';
import { wordsOf } from './fixtures/word-layout.js';

/** A layout whose number and due date stand beside labels the general rules do not know. */
function layout(options: { numberLabel?: string; inline?: boolean } = {}): Word[] {
  const label = options.numberLabel ?? 'Vorgang';
  const number: [number, number, string][] = options.inline
    ? [[320, 70, `${label}: KW-2024/0117`]]
    : [
        [320, 70, label],
        [440, 70, 'KW-2024/0117'],
      ];
  return wordsOf([
    [40, 40, 'Kontorbedarf Weber GmbH'],
    [40, 64, 'USt-IdNr. DE811907980'],
    [320, 40, 'Rechnung'],
    ...number,
    [320, 82, 'Datum: 14.03.2024'],
    [320, 94, 'Begleichen spätestens'],
    [440, 94, '13.04.2024'],
    [40, 314, 'Gesamtbetrag'],
    [440, 314, '131,50'],
  ]);
}

const shared: SharedLabel[] = [
  { field: 'invoiceNumber', label: 'vorgang' },
  { field: 'dueDate', label: 'begleichen spätestens' },
];

describe('label variants shared across firms', () => {
  it('only labels of letters, short, for fields read beside a label, that the rules do not know', () => {
    expect(isShareableLabel('invoiceNumber', 'vorgang')).toBe(true);
    expect(isShareableLabel('dueDate', 'begleichen spätestens')).toBe(true);
    expect(isShareableLabel('invoiceNumber', 'dokument-kennung')).toBe(true);
    // The general rules know it already: nothing to share.
    expect(isShareableLabel('invoiceNumber', 'rechnungsnummer')).toBe(false);
    // Not a label key (labelKey lower-cases), a digit (written 9), an address, too short or long.
    expect(isShareableLabel('invoiceNumber', 'Vorgang')).toBe(false);
    expect(isShareableLabel('invoiceNumber', 'kunde 9')).toBe(false);
    expect(isShareableLabel('invoiceNumber', 'weber@example')).toBe(false);
    expect(isShareableLabel('invoiceNumber', 'vg')).toBe(false);
    expect(isShareableLabel('invoiceNumber', 'bitte bei zahlung immer angeben')).toBe(false);
    expect(isShareableLabel('invoiceNumber', 'x'.repeat(41))).toBe(false);
    // A label the rules know for another field, or one heading a phone, tax or bank identifier.
    expect(isShareableLabel('invoiceNumber', 'rechnungsdatum')).toBe(false);
    expect(isShareableLabel('seller.companyId', 'vat-id')).toBe(false);
    expect(isShareableLabel('payment.reference', 'tel')).toBe(false);
    expect(isShareableLabel('invoiceNumber', 'iban')).toBe(false);
    // Names and VAT IDs are read by the party rules, not beside a label.
    expect(isShareableLabel('seller.name', 'lieferant')).toBe(false);
    expect(isShareableLabel('seller.vatId', 'steuerkennung')).toBe(false);
  });

  it('reads what the rules miss beside a shared label: right of it, or after it in its cell', () => {
    const words = layout();
    const fields = extractTextFields(words, 'text');
    // The rules miss both: otherwise a shared label would have nothing to add.
    expect(fields.invoiceNumber).toBeUndefined();
    expect(fields.dueDate).toBeUndefined();
    const findings = applySharedLabels(fields, words, shared);
    expect(fields.invoiceNumber).toMatchObject({
      value: 'KW-2024/0117',
      source: 'learned',
      confidence: SHARED_LABEL_CONFIDENCE,
      page: 1,
    });
    expect(fields.dueDate).toMatchObject({ value: '2024-04-13', source: 'learned' });
    expect(findings.map((f) => [f.code, f.severity, f.field])).toEqual([
      ['read_by_shared_label', 'info', 'invoiceNumber'],
      ['read_by_shared_label', 'info', 'dueDate'],
    ]);

    const inline = layout({ inline: true });
    const inlineFields = extractTextFields(inline, 'text');
    expect(inlineFields.invoiceNumber).toBeUndefined();
    applySharedLabels(inlineFields, inline, shared);
    expect(inlineFields.invoiceNumber?.value).toBe('KW-2024/0117');
  });

  it('never replaces a value the rules or a profile read, and reads nothing without its label', () => {
    const words = layout();
    const fields = extractTextFields(words, 'text');
    fields.invoiceNumber = { value: 'R-1', confidence: 0.95, source: 'learned' };
    applySharedLabels(fields, words, shared);
    expect(fields.invoiceNumber.value).toBe('R-1');

    const other = layout({ numberLabel: 'Auftrag' });
    const otherFields = extractTextFields(other, 'text');
    expect(applySharedLabels(otherFields, other, [shared[0]!])).toEqual([]);
    expect(otherFields.invoiceNumber).toBeUndefined();
  });

  it('takes only shareable labels, within its bounds, whatever its input holds', () => {
    const words = layout();
    const unshareable: SharedLabel[] = [
      { field: 'invoiceNumber', label: 'Vorgang' },
      { field: 'seller.name', label: 'vorgang' },
    ];
    const fields = extractTextFields(words, 'text');
    expect(applySharedLabels(fields, words, unshareable)).toEqual([]);
    expect(fields.invoiceNumber).toBeUndefined();
    // Beyond the per-field bound the rest is not tried: the label the page prints comes too late.
    const crowded: SharedLabel[] = [
      ...Array.from({ length: MAX_SHARED_LABELS_PER_FIELD }, (_, i) => ({
        field: 'invoiceNumber' as const,
        label: `kennung ${'abcdefghijklmnopqrstu'[i]}bc`,
      })),
      { field: 'invoiceNumber', label: 'vorgang' },
    ];
    applySharedLabels(fields, words, crowded);
    expect(fields.invoiceNumber).toBeUndefined();
  });
});
