import type { Finding } from '../../types.js';
import { violation } from './finding.js';
import { at, descendants, norm, type El } from './tree.js';

/** A UBL 2.1 Invoice or CreditNote as the rules see it. */
export interface UblDoc {
  root: El;
  credit: boolean;
  /** Invoice lines (BG-25): InvoiceLine or CreditNoteLine children of the root. */
  lines: El[];
}

/**
 * One rule as EN 16931 states it: for every element of its context, the test must hold. A rule
 * fires only where its context exists, so a partial document is judged only on what it carries.
 */
export interface UblRule {
  id: string;
  context: (doc: UblDoc) => El[];
  test: (el: El, doc: UblDoc) => boolean;
  message: string;
  warning?: boolean;
}

export function ublDoc(root: El): UblDoc {
  return {
    root,
    credit: root.name === 'CreditNote',
    lines: root.children.filter((c) => c.name === 'InvoiceLine' || c.name === 'CreditNoteLine'),
  };
}

/** Context: the document root. */
export const ROOT = (d: UblDoc): El[] => [d.root];
/** Context: elements at a path below the root. */
export const below =
  (path: string) =>
  (d: UblDoc): El[] =>
    at(d.root, path);
/**
 * Context: a Schematron match pattern such as `cac:PaymentMeans/cac:PayeeFinancialAccount`: every
 * element, at any depth, whose own name and parents' names end with the path.
 */
export const matching =
  (path: string) =>
  (d: UblDoc): El[] => {
    const steps = path.split('/').reverse();
    return descendants(d.root, steps[0]!).filter((el) => {
      let node: El | undefined = el;
      for (const step of steps) {
        if (node?.name !== step) return false;
        node = node.parent;
      }
      return true;
    });
  };
/** Context: every element with the name anywhere in the document (XPath //name). */
export const anywhere =
  (...names: string[]) =>
  (d: UblDoc): El[] =>
    descendants(d.root, ...names);

/** `cac:TaxScheme/normalize-space(upper-case(cbc:ID)) = 'VAT'` */
export function isVat(taxCategory: El): boolean {
  return at(taxCategory, 'TaxScheme').some((s) => norm(at(s, 'ID')[0]?.text).toUpperCase() === 'VAT');
}

/** The category code (BT-118 / BT-151 / BT-95 / BT-102) of a TaxCategory / ClassifiedTaxCategory. */
export function categoryOf(taxCategory: El): string {
  return norm(at(taxCategory, 'ID')[0]?.text);
}

/** Runs the rules; one finding per rule, naming how many elements broke it. */
export function evaluate(rules: UblRule[], doc: UblDoc): Finding[] {
  const findings: Finding[] = [];
  for (const rule of rules) {
    let broken = 0;
    try {
      for (const el of rule.context(doc)) if (!rule.test(el, doc)) broken++;
    } catch {
      // A rule that trips over content it cannot read says nothing, rather than guessing.
      continue;
    }
    if (broken === 0) continue;
    const times = broken > 1 ? ` (${broken} times)` : '';
    findings.push(violation(rule.id, `${rule.message}${times}`, rule.warning ? 'warning' : 'error'));
  }
  return findings;
}
