import type { Finding } from '../../types.js';
import { violation } from './finding.js';
import type { RuleInvoice } from './model.js';

/** Declared namespaces of the e-invoice roots; a different one means a different (or broken) schema. */
export const ROOT_NAMESPACES: Record<string, string[]> = {
  CrossIndustryInvoice: ['urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100'],
  CrossIndustryDocument: ['urn:ferd:CrossIndustryDocument:invoice:1p0'],
  Invoice: ['urn:oasis:names:specification:ubl:schema:xsd:Invoice-2'],
  CreditNote: ['urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2'],
};

/** EN 16931 core identifier, optionally followed by #compliant# / #conformant# CIUS and extension URNs. */
const EN16931_ID = /^urn:cen\.eu:en16931:2017(#(compliant|conformant)#urn:[a-z0-9.-]+(:[A-Za-z0-9._-]+)+)*$/;
/** Profiles below EN 16931 have their own identifiers (Factur-X 1.0 and ZUGFeRD 2.0 naming). */
const PARTIAL_ID = /^urn:(factur-x\.eu:1p0|zugferd\.de:2p0):(minimum|basicwl)$/;
const ZUGFERD1_ID = /^urn:ferd:CrossIndustryDocument:invoice:1p0:(basic|comfort|extended)$/;
/** ZUGFeRD 1.0 release candidates used urn:ferd:invoice:rc:<profile>; readable, but not the final standard. */
const ZUGFERD1_RC = /^urn:ferd:invoice:rc:(basic|comfort|extended)$/;

/**
 * BR-01 is the presence of the specification identifier (BT-24). Whether the identifier is one a
 * validator knows is our own check (`specification-id`): a malformed URN means no validator knows
 * which rules apply. ZUGFeRD 1.0 identifiers are known, in ZUGFeRD 1.0 and in CII D16B documents
 * (the official CII examples carry urn:ferd:CrossIndustryDocument:invoice:1p0:comfort).
 */
export function checkSpecification(inv: RuleInvoice): Finding[] {
  const id = inv.specId;
  if (!id) return [violation('BR-01', 'the specification identifier (BT-24) is missing')];
  if (ZUGFERD1_ID.test(id) && inv.syntax !== 'ubl') return [];
  if (inv.syntax === 'zugferd1') {
    if (ZUGFERD1_RC.test(id))
      return [violation('specification-id', `"${id}" is a ZUGFeRD 1.0 release-candidate profile`, 'warning')];
    return [
      violation(
        'specification-id',
        `"${id}" is not a ZUGFeRD 1.0 profile (urn:ferd:CrossIndustryDocument:invoice:1p0:basic|comfort|extended)`,
      ),
    ];
  }
  if (EN16931_ID.test(id) || (inv.syntax === 'cii' && PARTIAL_ID.test(id))) return [];
  return [violation('specification-id', `specification identifier "${id}" is malformed or unknown`)];
}

/** The root element's namespace; another one is another schema (or a broken document). */
export function checkNamespaces(rootName: string, xml: string): Finding[] {
  const expected = ROOT_NAMESPACES[rootName];
  if (!expected) return [];
  const tag = xml.match(new RegExp(`<([A-Za-z_][\\w.-]*:)?${rootName}[\\s>][^>]*`))?.[0] ?? '';
  const prefix = tag.match(/^<([A-Za-z_][\w.-]*):/)?.[1];
  const declared = tag.match(new RegExp(`xmlns${prefix ? `:${prefix}` : ''}\\s*=\\s*["']([^"']*)["']`))?.[1];
  const findings: Finding[] = [];
  if (declared === undefined || !expected.includes(declared)) {
    findings.push(
      violation(
        'schema',
        `root <${rootName}> is in namespace "${declared ?? '(none)'}", expected ${expected.join(' or ')}`,
      ),
    );
  }
  // UN/CEFACT namespace URIs are case-sensitive; "data:Standard" is a different namespace.
  const uncefact = [
    ...xml.slice(0, 5000).matchAll(/xmlns:\w+\s*=\s*["'](urn:un:unece:uncefact:[^"']*)["']/g),
  ];
  for (const [, uri] of uncefact) {
    if (uri && !/^urn:un:unece:uncefact:data:standard:[A-Za-z]+:\d+$/.test(uri))
      findings.push(
        violation('schema', `namespace "${uri}" is not a UN/CEFACT data standard namespace`, 'warning'),
      );
  }
  return findings;
}

/** Elements a profile below EN 16931 does not carry (Factur-X MINIMUM has no preceding invoice reference). */
export function checkProfileSubset(inv: RuleInvoice): Finding[] {
  if (inv.profile === 'minimum' && inv.hasPrecedingInvoice)
    return [violation('profile', 'the MINIMUM profile does not carry a preceding invoice reference (BG-3)')];
  return [];
}
