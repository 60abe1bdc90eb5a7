import type { XmlNode } from '../../formats/xml-parse.js';
import type { Finding } from '../../types.js';
import { ciiRuleModel } from './cii-model.js';
import type { RuleInvoice } from './model.js';
import { checkNamespaces, checkProfileSubset, checkSpecification } from './profile.js';
import { checkCodeLists, checkLines, checkMandatory } from './rules-core.js';
import { checkDates, checkDecimals } from './rules-format.js';
import { checkCurrencyAttributes, checkGrossPriceDiscounts } from './rules-syntax.js';
import { checkLineArithmetic, checkLineGroups, checkTotalsArithmetic } from './rules-totals.js';
import { checkVat } from './rules-vat.js';
import { ublRuleModel } from './ubl-model.js';

/** Runs every rule on the model; a rule that trips over unexpected content is skipped, not fatal. */
function runRules(inv: RuleInvoice): Finding[] {
  const rules = [
    checkSpecification,
    checkProfileSubset,
    checkMandatory,
    checkLines,
    checkCodeLists,
    checkTotalsArithmetic,
    checkLineArithmetic,
    checkLineGroups,
    checkVat,
    checkDates,
    checkDecimals,
    checkCurrencyAttributes,
    checkGrossPriceDiscounts,
  ];
  return rules.flatMap((rule) => {
    try {
      return rule(inv);
    } catch {
      return [];
    }
  });
}

/**
 * Validates a structured e-invoice (CII D16B, ZUGFeRD 1.0 or UBL 2.1) against the EN 16931 core
 * rules an accountant relies on: mandatory terms, code lists, totals arithmetic, VAT categories,
 * decimals, dates, the specification identifier and the root namespace. Returns findings only.
 */
export function validateEn16931(root: XmlNode, rootName: string, xml: string): Finding[] {
  let inv: RuleInvoice;
  if (rootName === 'CrossIndustryInvoice') inv = ciiRuleModel(root, false);
  else if (rootName === 'CrossIndustryDocument') inv = ciiRuleModel(root, true);
  else if (rootName === 'Invoice' || rootName === 'CreditNote') inv = ublRuleModel(root, rootName);
  else return [];
  return [...checkNamespaces(rootName, xml), ...runRules(inv)];
}
