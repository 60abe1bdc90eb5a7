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
import { evaluate, ublDoc } from './ubl-engine.js';
import { CORE_RULES } from './ubl-rules-core.js';
import { CODE_RULES, SYNTAX_RULES } from './ubl-rules-syntax.js';
import { VAT_RULES } from './ubl-rules-vat.js';
import { toTree } from './tree.js';
import { CII_CODE_RULES, CII_TREE_RULES, ciiDoc } from './cii-rules.js';

/** Every rule of EN 16931 bound to UBL 2.1 that we check, in the standard's order of families. */
const UBL_RULES = [...CORE_RULES, ...VAT_RULES, ...CODE_RULES, ...SYNTAX_RULES];

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
  if (rootName === 'Invoice' || rootName === 'CreditNote') {
    const model = ublRuleModel(root, rootName);
    return [
      ...checkNamespaces(rootName, xml),
      ...evaluate(UBL_RULES, ublDoc(toTree(root, rootName))),
      // Our own checks beyond the standard (date syntax, line net = quantity x price as a warning).
      ...safely(() => checkDates(model)),
      ...safely(() => checkLineArithmetic(model)),
    ];
  }
  if (rootName === 'CrossIndustryInvoice')
    return [
      ...checkNamespaces(rootName, xml),
      ...runRules(ciiRuleModel(root, false)),
      ...evaluate([...CII_TREE_RULES, ...CII_CODE_RULES], ciiDoc(toTree(root, rootName))),
    ];
  if (rootName === 'CrossIndustryDocument')
    return [...checkNamespaces(rootName, xml), ...runRules(ciiRuleModel(root, true))];
  return [];
}

function safely(run: () => Finding[]): Finding[] {
  try {
    return run();
  } catch {
    return [];
  }
}
