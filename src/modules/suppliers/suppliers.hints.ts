/**
 * Stored hints as the API and the engine read them: the jsonb column comes back from the database
 * as `unknown`, so every hint is checked field by field (a malformed one is dropped, never
 * trusted), and each is described in words for `GET /v1/suppliers/:id`.
 */
import {
  CONSTANT_FIELDS,
  isFieldName,
  type FieldHint,
  type HintAnchor,
  type LearnedConstants,
} from '../../extraction/model.js';

const ANCHORS: readonly HintAnchor[] = ['label-inline', 'label-right', 'label-below', 'page'];
const MAX_HINTS = 15;

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

export function parseHints(raw: unknown): FieldHint[] {
  if (!Array.isArray(raw)) return [];
  const hints: FieldHint[] = [];
  for (const item of raw.slice(0, MAX_HINTS)) {
    if (typeof item !== 'object' || item === null) continue;
    const h = item as Record<string, unknown>;
    if (typeof h.field !== 'string' || !isFieldName(h.field)) continue;
    if (typeof h.anchor !== 'string' || !ANCHORS.includes(h.anchor as HintAnchor)) continue;
    if (typeof h.label !== 'string' || typeof h.pattern !== 'string' || typeof h.toEnd !== 'boolean')
      continue;
    if (![h.page, h.x, h.y, h.dx, h.dy, h.skip, h.words, h.learned].every(isNumber)) continue;
    hints.push({
      field: h.field,
      page: h.page as number,
      anchor: h.anchor as HintAnchor,
      label: h.label.slice(0, 80),
      x: h.x as number,
      y: h.y as number,
      dx: h.dx as number,
      dy: h.dy as number,
      skip: h.skip as number,
      words: h.words as number,
      toEnd: h.toEnd,
      lines: h.lines === 2 ? 2 : 1,
      pattern: h.pattern.slice(0, 80),
      units: h.units === 'px' ? 'px' : 'pt',
      learned: h.learned as number,
    });
  }
  return hints;
}

const isShortText = (value: unknown): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= 200;

/**
 * Stored constants, checked like hints: only constant fields, only short strings. A buyer VAT ID
 * without the buyer it was entered for (`forBuyer`; profiles learned before it was kept, or a
 * `buyer.name` constant of that time) is dropped: it could fill another buyer's documents.
 */
export function parseConstants(raw: unknown): LearnedConstants {
  const out: LearnedConstants = {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return out;
  const stored = raw as Record<string, unknown>;
  for (const field of CONSTANT_FIELDS) if (isShortText(stored[field])) out[field] = stored[field];
  if (out['buyer.vatId'] !== undefined) {
    if (isShortText(stored.forBuyer)) out.forBuyer = stored.forBuyer;
    else delete out['buyer.vatId'];
  }
  return out;
}

/** e.g. `on page 1, right of the label "invoice no", shaped A-9 (learned from 2 corrections)`. */
export function describeHint(hint: FieldHint): string {
  const where: Record<HintAnchor, string> = {
    'label-inline': `after the label "${hint.label}" in the same line`,
    'label-right': `right of the label "${hint.label}"`,
    'label-below': `below the label "${hint.label}"`,
    page: `at ${Math.round(hint.x)}, ${Math.round(hint.y)} ${hint.units === 'px' ? 'pixels' : 'points'} from the page's top left corner`,
  };
  const times = hint.learned === 1 ? '1 correction' : `${hint.learned} corrections`;
  return `on page ${hint.page}, ${where[hint.anchor]}, shaped ${hint.pattern} (learned from ${times})`;
}
