import type { XmlNode } from '../../formats/xml-parse.js';

/**
 * The parsed XML as a navigable element tree (local names, attributes, text, parent), so rules
 * can be written the way the standard states them: for every element in a context, a test over
 * its children, its ancestors or the whole document.
 */
export interface El {
  name: string;
  attrs: Record<string, string>;
  /** Text content as written (fast-xml-parser already trimmed it). */
  text: string;
  children: El[];
  parent?: El;
}

export function toTree(node: XmlNode, name: string, parent?: El): El {
  const el: El = { name, attrs: {}, text: '', children: [], ...(parent ? { parent } : {}) };
  if (typeof node === 'string') {
    el.text = node;
    return el;
  }
  for (const [key, value] of Object.entries(node)) {
    if (key === '#text' && typeof value === 'string') el.text = value;
    else if (key.startsWith('@') && typeof value === 'string') el.attrs[key.slice(1)] = value;
    else if (Array.isArray(value)) for (const child of value) el.children.push(toTree(child, key, el));
  }
  return el;
}

/** Children along a slash-separated path of local names ("PostalAddress/Country/IdentificationCode"). */
export function at(el: El | undefined, path: string): El[] {
  let current: El[] = el ? [el] : [];
  for (const step of path.split('/'))
    current = current.flatMap((n) => n.children.filter((c) => step === '*' || c.name === step));
  return current;
}

export function one(el: El | undefined, path: string): El | undefined {
  return at(el, path)[0];
}

export function has(el: El | undefined, path: string): boolean {
  return at(el, path).length > 0;
}

/** Every descendant (not the element itself) with one of the names, in document order. */
export function descendants(el: El | undefined, ...names: string[]): El[] {
  const out: El[] = [];
  const walk = (n: El): void => {
    for (const c of n.children) {
      if (names.length === 0 || names.includes(c.name)) out.push(c);
      walk(c);
    }
  };
  if (el) walk(el);
  return out;
}

/** XPath normalize-space(). */
export function norm(value: string | undefined): string {
  return (value ?? '').replace(/\s+/g, ' ').trim();
}

/** normalize-space() of the first element at the path ('' when absent). */
export function val(el: El | undefined, path?: string): string {
  return norm((path === undefined ? el : one(el, path))?.text);
}

/** Non-blank text at the path (XPath `normalize-space(x) != ''`). */
export function filled(el: El | undefined, path: string): boolean {
  return at(el, path).some((e) => norm(e.text) !== '');
}

/** xs:boolean of ChargeIndicator: true / 1, false / 0; anything else is neither. */
export function indicator(el: El): boolean | undefined {
  const v = val(el, 'ChargeIndicator');
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  return undefined;
}

export function ancestor(el: El, name: string): El | undefined {
  for (let p = el.parent; p; p = p.parent) if (p.name === name) return p;
  return undefined;
}
