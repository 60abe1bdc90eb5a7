/** A word on a page with its box (PDF points for text layers, pixels for OCR). */
export interface Word {
  text: string;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  page: number;
  /** OCR only: the recogniser's confidence in the word, 0..100 (a text layer has none). */
  confidence?: number;
}

/** A visual row: words whose vertical extents overlap, left to right. */
export interface Row {
  page: number;
  words: Word[];
  y0: number;
  y1: number;
}

/** Words of one row split where the horizontal gap says "new column". */
export interface Cell {
  text: string;
  words: Word[];
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  page: number;
  row: number;
}

function overlapsVertically(a: { y0: number; y1: number }, b: { y0: number; y1: number }): boolean {
  const overlap = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
  return overlap > 0.5 * Math.min(a.y1 - a.y0, b.y1 - b.y0);
}

/** Groups words into rows by vertical overlap (table columns come from separate text blocks). */
export function buildRows(words: Word[]): Row[] {
  const sorted = [...words].sort(
    (a, b) => a.page - b.page || (a.y0 + a.y1) / 2 - (b.y0 + b.y1) / 2 || a.x0 - b.x0,
  );
  const rows: Row[] = [];
  for (const word of sorted) {
    const row = rows.at(-1);
    if (row && row.page === word.page && overlapsVertically(row, word)) {
      row.words.push(word);
      // A title twice the height of the line beside it joins the line but does not widen its
      // band: otherwise the next line of small text ("Coolblue B.V." / "Weena 664" beside a large
      // "FACTUUR") would be merged into the same row.
      if (word.y1 - word.y0 <= 1.6 * (row.y1 - row.y0)) {
        row.y0 = Math.min(row.y0, word.y0);
        row.y1 = Math.max(row.y1, word.y1);
      }
    } else {
      rows.push({ page: word.page, words: [word], y0: word.y0, y1: word.y1 });
    }
  }
  for (const row of rows) row.words.sort((a, b) => a.x0 - b.x0);
  return rows;
}

/** Splits rows into cells at gaps wider than about two spaces of the row's text height. */
export function buildCells(rows: Row[]): Cell[] {
  const cells: Cell[] = [];
  rows.forEach((row, rowIndex) => {
    const height = row.y1 - row.y0;
    let current: Word[] = [];
    const flush = (): void => {
      if (current.length === 0) return;
      cells.push({
        text: current.map((w) => w.text).join(' '),
        words: current,
        x0: current[0]!.x0,
        x1: current.at(-1)!.x1,
        y0: Math.min(...current.map((w) => w.y0)),
        y1: Math.max(...current.map((w) => w.y1)),
        page: row.page,
        row: rowIndex,
      });
      current = [];
    };
    for (const word of row.words) {
      const prev = current.at(-1);
      if (prev && word.x0 - prev.x1 > Math.max(height * 0.9, 4)) flush();
      current.push(word);
    }
    flush();
  });
  return cells;
}
