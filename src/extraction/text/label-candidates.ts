import type { FieldName } from '../types.js';
import { LABELS } from './labels.js';
import { PARSERS } from './parsers.js';
import type { Cell } from './words.js';

/** One possible value for a field, with where it was found and how much we believe it. */
export interface Candidate {
  field: FieldName;
  value: string;
  score: number;
  cell: Cell;
  /** Position of the label in reading order, 0..1 (amount totals sit near the end). */
  order: number;
}

/** How much each place relative to the label is trusted. */
const PLACE_WEIGHT = { same: 1, right: 0.95, right2: 0.8, below: 0.8, below2: 0.6 } as const;

function cellsRightOf(cells: Cell[], index: number): Cell[] {
  const label = cells[index]!;
  const out: Cell[] = [];
  for (let i = index + 1; i < cells.length && out.length < 2; i++) {
    const c = cells[i]!;
    if (c.row !== label.row) break;
    out.push(c);
  }
  return out;
}

function cellsBelow(cells: Cell[], index: number, byRow: Map<number, Cell[]>): Cell[] {
  const label = cells[index]!;
  const height = label.y1 - label.y0;
  const out: Cell[] = [];
  for (let r = label.row + 1; r <= label.row + 2; r++) {
    const hit = (byRow.get(r) ?? []).find(
      (c) =>
        c.page === label.page && c.x0 < label.x1 + 2 && c.x1 > label.x0 - 2 && c.y0 - label.y1 < height * 3.5,
    );
    if (hit) out.push(hit);
  }
  return out;
}

/** Finds values next to printed labels for every field that has labels and a parser. */
export function findLabelledCandidates(cells: Cell[]): Candidate[] {
  const byRow = new Map<number, Cell[]>();
  for (const c of cells) byRow.set(c.row, [...(byRow.get(c.row) ?? []), c]);
  const out: Candidate[] = [];
  cells.forEach((cell, index) => {
    for (const [field, labels] of Object.entries(LABELS) as Array<[FieldName, typeof LABELS.currency]>) {
      const parse = PARSERS[field];
      if (!parse || !labels) continue;
      const label = labels.find((l) => l.pattern.test(cell.text));
      if (!label) continue;
      const match = cell.text.match(label.pattern)!;
      const rest = cell.text.slice((match.index ?? 0) + match[0].length);
      const places: Array<[Cell | string, number]> = [[rest, PLACE_WEIGHT.same]];
      const right = cellsRightOf(cells, index);
      right.forEach((c, i) => places.push([c, i === 0 ? PLACE_WEIGHT.right : PLACE_WEIGHT.right2]));
      cellsBelow(cells, index, byRow).forEach((c, i) =>
        places.push([c, i === 0 ? PLACE_WEIGHT.below : PLACE_WEIGHT.below2]),
      );
      for (const [place, weight] of places) {
        const value = parse(typeof place === 'string' ? place : place.text);
        if (value === null) continue;
        out.push({
          field,
          value,
          score: label.weight * weight,
          cell: typeof place === 'string' ? cell : place,
          order: index / cells.length,
        });
        break;
      }
    }
  });
  return out;
}
