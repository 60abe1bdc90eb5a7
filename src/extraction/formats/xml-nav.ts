import type { XmlNode } from './xml-parse.js';

/** Child elements with the given local name. */
export function children(node: XmlNode | undefined, name: string): XmlNode[] {
  if (node === undefined || typeof node === 'string') return [];
  const value = node[name];
  return Array.isArray(value) ? value : [];
}

/** All nodes at a slash-separated path of local names. */
export function all(node: XmlNode | undefined, path: string): XmlNode[] {
  let current: XmlNode[] = node === undefined ? [] : [node];
  for (const step of path.split('/')) current = current.flatMap((n) => children(n, step));
  return current;
}

export function first(node: XmlNode | undefined, path: string): XmlNode | undefined {
  return all(node, path)[0];
}

/** Text content of an element (trimmed), or undefined when empty. */
export function text(node: XmlNode | undefined): string | undefined {
  if (node === undefined) return undefined;
  const raw = typeof node === 'string' ? node : node['#text'];
  const value = typeof raw === 'string' ? raw.trim() : undefined;
  return value ? value : undefined;
}

export function attr(node: XmlNode | undefined, name: string): string | undefined {
  if (node === undefined || typeof node === 'string') return undefined;
  const value = node[`@${name}`];
  return typeof value === 'string' ? value.trim() : undefined;
}

export function textAt(node: XmlNode | undefined, path: string): string | undefined {
  return text(first(node, path));
}
