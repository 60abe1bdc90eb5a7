import type { KnownSupplier } from '../suppliers/directory.js';
import type { FieldName } from '../types.js';

/**
 * How a learned value is found again on the supplier's next document:
 * - `label-inline`: in the same layout cell, right after the label ("Invoice no.: 2024-017");
 * - `label-right`: in a cell to the right of the label, on its row (a column of a totals table);
 * - `label-below`: in a cell under the label (a table header over its value);
 * - `page`: at a place on the page, when no label stands near the value.
 */
export type HintAnchor = 'label-inline' | 'label-right' | 'label-below' | 'page';

/**
 * Where on a supplier's layout one field's value was, learned from a person's correction: the
 * page, the label text before it (normalised by `labelKey`), where the value sits relative to that
 * label (or to the page's top-left corner), and the value's printed shape. Hints hold no values of
 * the document they were learned on except the label text, which is the supplier's layout.
 */
export interface FieldHint {
  readonly field: FieldName;
  /** 1-based page of the value. */
  readonly page: number;
  readonly anchor: HintAnchor;
  /** `labelKey` of the label ('' for `page`). */
  readonly label: string;
  /** Top-left corner of the label on its page (for `page`: of the value). */
  readonly x: number;
  readonly y: number;
  /** The value cell's top-left corner relative to the label's (0 for `label-inline` and `page`). */
  readonly dx: number;
  readonly dy: number;
  /** Words of the cell (after an inline label) before the value. */
  readonly skip: number;
  /** Words the value took, and whether it ran to the end of its cell (then the next one may be longer). */
  readonly words: number;
  readonly toEnd: boolean;
  /** 2 when a name continued on the next line at the same left edge ("Herrn" / "Max Mustermann"). */
  readonly lines?: 1 | 2 | undefined;
  /** `shapeOf` the printed value: letters A, digits 9, other characters kept, runs collapsed. */
  readonly pattern: string;
  /** Coordinates of the text layer it was learned on: PDF points, or pixels of an OCR render. */
  readonly units: 'pt' | 'px';
  /** How many corrections taught this field's hint (a re-learned hint replaces the old one). */
  readonly learned: number;
}

/**
 * Fields a person may know although the supplier's page does not print them, and whose value does
 * not change from one of its invoices to the next: the currency it bills in, and the VAT ID of a
 * buyer it bills (tied to that buyer, `forBuyer`). Per-document values (numbers, dates, amounts)
 * are never constants, nor is the buyer's name: a supplier bills several of a firm's clients, and a
 * name the page does not print cannot be checked against anything on it.
 */
export const CONSTANT_FIELDS = ['currency', 'buyer.vatId'] as const;

/**
 * The info finding on each field a profile (hints/apply.ts) or the supplier directory
 * (suppliers/directory.ts) filled where the page prints none.
 */
export const FILLED_FROM_SUPPLIER_PROFILE = 'filled_from_supplier_profile';
export type ConstantField = (typeof CONSTANT_FIELDS)[number];

/** Values corrected where the page printed none, and whom the buyer's values belong to. */
export type LearnedConstants = Partial<Record<ConstantField, string>> & {
  /**
   * The buyer's name (as the corrected document gave it) the buyer VAT ID was entered for: it fills
   * only documents whose buyer reads as that name.
   */
  forBuyer?: string;
};

/** A supplier profile as an engine input: its constant master data and its field hints. */
export interface LearnedSupplier extends KnownSupplier {
  readonly hints: readonly FieldHint[];
  /**
   * Values corrected where the page printed none: they fill the field when a page prints none
   * again (the buyer VAT ID only for a page to its `forBuyer`; `forBuyer` itself fills nothing).
   */
  readonly constants?: Readonly<LearnedConstants> | undefined;
}

/**
 * A label variant learned across firms (modules/suppliers/suppliers.shared-labels.ts): the
 * `labelKey` of a label that corrections at several firms, each of which allowed its data to
 * improve extraction for others, placed before a field's value. It carries no value and no
 * position, only the label's words; the engine reads it as one more label of the general rules.
 */
export interface SharedLabel {
  readonly field: FieldName;
  readonly label: string;
}
