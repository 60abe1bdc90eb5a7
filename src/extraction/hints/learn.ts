/**
 * Learning from a correction: given the document's text layer and the value a person says a field
 * has, where on the page that value is printed and how to find the place again on the supplier's
 * next document (`FieldHint`). Pure: the caller keeps the hint in the supplier's profile.
 */
import { LABELS } from '../text/labels.js';
import { buildCells, buildRows, type Cell, type Word } from '../text/words.js';
import type { FieldName } from '../types.js';
import type { FieldHint, HintAnchor } from './types.js';
import { findSpans, kindOf, labelKey, readValue, shapeOf, spanText, type Span } from './values.js';

/** Rows above a value searched for its column header. */
const MAX_ROWS_ABOVE = 3;
/** Characters of a label kept: enough for "Rechnungsbetrag inkl. MwSt. (EUR)". */
const MAX_LABEL_CHARS = 80;

const round = (n: number): number => Math.round(n * 10) / 10;

/** A text that can be a label: it has letters and is not itself a value of the field's kind. */
function isLabelText(field: FieldName, text: string): boolean {
  if (!/\p{L}{2}/u.test(text) || text.length > MAX_LABEL_CHARS) return false;
  return kindOf(field) === 'name' || kindOf(field) === 'currency' || readValue(field, text) === null;
}

interface Anchored {
  readonly anchor: HintAnchor;
  readonly label: string;
  readonly labelCell: Cell | null;
  readonly labelWords: number;
}

/** The label a value follows: in its own cell, to its left on the row, or above it in its column. */
function anchorOf(field: FieldName, span: Span, cells: readonly Cell[]): Anchored {
  const { cell } = span;
  if (span.start > 0) {
    const prefix = spanText(cell, 0, span.start);
    if (isLabelText(field, prefix))
      return { anchor: 'label-inline', label: prefix, labelCell: cell, labelWords: span.start };
  }
  const left = cells
    .filter((c) => c.page === cell.page && c.row === cell.row && c.x1 <= cell.x0 + 1)
    .filter((c) => isLabelText(field, c.text))
    .sort((a, b) => b.x1 - a.x1)[0];
  if (left) return { anchor: 'label-right', label: left.text, labelCell: left, labelWords: 0 };
  const above = cells
    .filter(
      (c) =>
        c.page === cell.page &&
        c.row < cell.row &&
        c.row >= cell.row - MAX_ROWS_ABOVE &&
        Math.min(c.x1, cell.x1) - Math.max(c.x0, cell.x0) > 0,
    )
    .filter((c) => isLabelText(field, c.text))
    .sort((a, b) => b.row - a.row)[0];
  if (above) return { anchor: 'label-below', label: above.text, labelCell: above, labelWords: 0 };
  return { anchor: 'page', label: '', labelCell: null, labelWords: 0 };
}

/** How good a place is to learn from: a label the engine knows for the field, then any label. */
function score(field: FieldName, anchored: Anchored): number {
  const known = (LABELS[field] ?? []).some((l) => l.pattern.test(anchored.label)) ? 2 : 0;
  const byAnchor: Record<HintAnchor, number> = {
    'label-inline': 1.2,
    'label-right': 1.1,
    'label-below': 0.9,
    page: 0,
  };
  return known + byAnchor[anchored.anchor];
}

/**
 * The hint for `field` = `value` on this layout, or null when the value is not printed on it (a
 * person may know a value the page does not show: then there is nothing to learn about the place).
 * Where the value is printed several times, the place with the best label is learned.
 */
export function learnFieldHint(
  words: readonly Word[],
  field: FieldName,
  value: string,
  units: 'pt' | 'px',
  learned = 1,
): FieldHint | null {
  const cells = buildCells(buildRows([...words]));
  const spans = findSpans(cells, field, value);
  let best: { span: Span; anchored: Anchored; score: number } | null = null;
  for (const span of spans) {
    const anchored = anchorOf(field, span, cells);
    const s = score(field, anchored);
    if (!best || s > best.score) best = { span, anchored, score: s };
  }
  if (!best) return null;
  const { span, anchored } = best;
  const { cell } = span;
  const label = anchored.labelCell;
  const inline = anchored.anchor === 'label-inline';
  const origin = label && !inline ? label : cell;
  return {
    field,
    page: cell.page,
    anchor: anchored.anchor,
    label: labelKey(anchored.label),
    x: round(origin.x0),
    y: round(origin.y0),
    dx: label && !inline ? round(cell.x0 - label.x0) : 0,
    dy: label && !inline ? round(cell.y0 - label.y0) : 0,
    skip: inline ? 0 : span.start,
    words: span.words,
    toEnd: span.start + span.words === cell.words.length,
    ...(span.next ? { lines: 2 as const } : {}),
    pattern: shapeOf(spanText(cell, span.start, span.words) + (span.next ? ` ${span.next.text}` : '')),
    units,
    learned,
  };
}
