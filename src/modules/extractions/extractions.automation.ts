/**
 * Straight-through processing: whether the extraction worker validates a document itself, by the
 * firm's automation level (tenants.automation.ts; docs/automation.md). The decision is a pure
 * function of the setting, the stored result and two facts the worker knows in its transaction
 * (the duplicate check's answer, the supplier's validated documents); the worker applies it in the
 * transaction that stores the result and audits the rule that allowed it.
 */
import {
  FILLED_FROM_SUPPLIER_PROFILE,
  matchSupplier,
  type ExtractionResult,
  type KnownSupplier,
} from '../../extraction/model.js';
import type { AutomationSettings } from '../tenants/tenants.automation.js';

/** Fields a document cannot be booked without; the seller needs its name or its VAT ID. */
const REQUIRED_FIELDS = ['invoiceNumber', 'issueDate', 'totals.gross', 'currency'] as const;

export interface AutomationFacts {
  /** The earlier document this one duplicates, or null. */
  readonly duplicateOf: string | null;
  /** Validated documents of the document's supplier (0 when the supplier is unknown). */
  readonly supplierValidated: number;
}

/** What the audit event `extraction.auto_validated` records: the rule that allowed it. */
export interface AutomationRule {
  readonly level: 'confident' | 'always';
  readonly threshold: number;
  readonly minValidated: number;
  readonly supplierValidated: number;
}

export type AutomationDecision =
  | { readonly automate: true; readonly rule: AutomationRule }
  | { readonly automate: false; readonly reason: string };

const keep = (reason: string): AutomationDecision => ({ automate: false, reason });

/**
 * The fields the supplier profile or directory filled where the page prints no value
 * (hints/apply.ts, suppliers/directory.ts: finding `filled_from_supplier_profile`, source learned,
 * no place on the page), outside the required fields. Such a value is not a reading whose
 * confidence could reach a threshold: it is the firm's own master data a person entered for this
 * supplier (and a buyer VAT ID only for the buyer it was entered for), so `confident` does not
 * hold it to the threshold. A required field filled so (the currency) still is: what is booked
 * and paid must be read from the document.
 */
function profileFills(result: ExtractionResult): Set<string> {
  const filled = new Set<string>();
  for (const finding of result.findings) {
    if (finding.code !== FILLED_FROM_SUPPLIER_PROFILE || !finding.field) continue;
    if ((REQUIRED_FIELDS as readonly string[]).includes(finding.field)) continue;
    const field = result.fields[finding.field as keyof ExtractionResult['fields']];
    if (field?.source === 'learned' && !field.bbox) filled.add(finding.field);
  }
  return filled;
}

/** The codes of the result's findings of one severity, or '' when it has none. */
function codesOf(result: ExtractionResult, severity: 'error' | 'warning'): string {
  return [...new Set(result.findings.filter((f) => f.severity === severity).map((f) => f.code))].join(', ');
}

/**
 * Decides by the firm's level. Whatever the level, a duplicate and a document with an error
 * finding wait for a person: paying an invoice twice, or to a changed bank account, is money lost,
 * and no firm asks for that to be automated. `confident` asks more: every required field present,
 * every field read from the document (required or not: all of them are booked) at or above the
 * threshold (`profileFills` are not readings), no warning, and a supplier the firm has validated
 * at least `minValidated` documents of.
 */
export function decideAutomation(
  settings: AutomationSettings,
  result: ExtractionResult,
  facts: AutomationFacts,
): AutomationDecision {
  if (settings.level === 'never') return keep('the automation level is never');
  if (facts.duplicateOf) return keep(`a duplicate of ${facts.duplicateOf}`);
  const errors = codesOf(result, 'error');
  if (errors) return keep(`an error finding (${errors})`);
  const rule: AutomationRule = {
    level: settings.level,
    threshold: settings.threshold,
    minValidated: settings.minValidated,
    supplierValidated: facts.supplierValidated,
  };
  if (settings.level === 'always') return { automate: true, rule };
  const warnings = codesOf(result, 'warning');
  if (warnings) return keep(`a warning finding (${warnings})`);
  const missing = REQUIRED_FIELDS.find((name) => !result.fields[name]);
  if (missing) return keep(`${missing} is missing`);
  if (!result.fields['seller.name'] && !result.fields['seller.vatId']) return keep('the seller is missing');
  const fills = profileFills(result);
  const weak = Object.entries(result.fields).find(
    ([name, field]) => !fills.has(name) && field.confidence < settings.threshold,
  );
  if (weak) return keep(`${weak[0]} is below the threshold (${weak[1].confidence})`);
  if (facts.supplierValidated < settings.minValidated)
    return keep(
      `the supplier has ${facts.supplierValidated} validated documents, fewer than ${settings.minValidated}`,
    );
  return { automate: true, rule };
}

/** Validated documents of the supplier `result` is from, by the firm's supplier directory. */
export function supplierValidatedCount(
  result: ExtractionResult,
  suppliers: readonly KnownSupplier[],
): number {
  return matchSupplier(result.fields, suppliers)?.supplier.documents ?? 0;
}
