/** The little XML writing the exports need: escaped text, elements that vanish when empty. */

export function esc(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export type Attributes = Record<string, string | undefined>;

function attributes(attrs: Attributes | undefined): string {
  if (!attrs) return '';
  return Object.entries(attrs)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => ` ${k}="${esc(v!)}"`)
    .join('');
}

/** A leaf element; nothing when the value is absent (EN 16931 / Peppol forbid empty elements). */
export function leaf(name: string, value: string | undefined, attrs?: Attributes): string {
  return value === undefined || value === '' ? '' : `<${name}${attributes(attrs)}>${esc(value)}</${name}>`;
}

/** An element around already written children; nothing when every child was empty. */
export function group(name: string, ...content: string[]): string {
  const inner = content.join('');
  return inner ? `<${name}>${inner}</${name}>` : '';
}

/** Like `group`, but with attributes. */
export function groupWith(name: string, attrs: Attributes, ...content: string[]): string {
  const inner = content.join('');
  return inner ? `<${name}${attributes(attrs)}>${inner}</${name}>` : '';
}
