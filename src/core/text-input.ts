import { ValidationFailedError, type FieldProblem } from './errors.js';

/** No request schema nests this deep; request bodies are small, bounded JSON. */
const MAX_DEPTH = 32;

const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function problemOf(text: string): string | null {
  if (text.includes('\u0000')) return 'must not contain NUL characters';
  if (UNPAIRED_SURROGATE.test(text)) return 'must not contain unpaired UTF-16 surrogates';
  return null;
}

/** Parsed JSON and query strings: plain objects, or objects whose prototype has none (Fastify's query). */
const isPlainObject = (value: object): boolean => {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype || Object.getPrototypeOf(proto) === null;
};

/**
 * The first string in `value` (object keys included) that no text input may hold, as a field
 * problem named by its path (`body.name`, `query.externalRef`): a NUL character, which PostgreSQL
 * `text` and `jsonb` refuse (the insert would fail as a 500), or an unpaired surrogate, which is
 * not Unicode and cannot be stored as UTF-8. Streams and other non-plain objects are not walked.
 */
export function findUnsafeText(value: unknown, field: string, depth = 0): FieldProblem | null {
  if (typeof value === 'string') {
    const message = problemOf(value);
    return message ? { field, message } : null;
  }
  if (value === null || typeof value !== 'object') return null;
  // Deeper than any request schema goes: refused rather than left unchecked.
  if (depth >= MAX_DEPTH) return { field, message: 'is nested too deeply' };
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = findUnsafeText(item, `${field}.${index}`, depth + 1);
      if (found) return found;
    }
    return null;
  }
  if (!isPlainObject(value)) return null;
  for (const [key, item] of Object.entries(value)) {
    const keyMessage = problemOf(key);
    if (keyMessage) return { field, message: `has a member name that ${keyMessage}` };
    const found = findUnsafeText(item, `${field}.${key}`, depth + 1);
    if (found) return found;
  }
  return null;
}

/** Throws a 400 naming the field when `value` holds text no input may hold (`findUnsafeText`). */
export function refuseUnsafeText(value: unknown, field: string): void {
  const problem = findUnsafeText(value, field);
  if (problem)
    throw new ValidationFailedError(`The request is invalid: ${problem.field} ${problem.message}`, [problem]);
}
