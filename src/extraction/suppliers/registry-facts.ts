import type { ExtractedField, ExtractionResult, Finding } from '../types.js';
import { nameSimilarity } from './directory.js';

/**
 * What public registers said about the document's seller, looked up by the caller (the engine
 * stays offline): ARES for a Czech IČO (name, seat, DIČ), VIES for an EU VAT ID (registered or
 * not, and the name where the member state discloses it). Merged into a finished result: missing
 * master data is filled (`source: learned`), contradictions and unregistered ids are findings.
 */
export interface RegistryFacts {
  ares?:
    | { ico: string; found: false }
    | { ico: string; found: true; name: string; address?: string | undefined; vatId?: string | undefined };
  vies?: { vatId: string; valid: boolean; name?: string | undefined };
  /** Registers that were asked but did not answer (their silence changes nothing). */
  unavailable?: string[];
}

/** A registry's value is the register's, but about the identifier the page printed: near-certain. */
const REGISTRY_CONFIDENCE = 0.95;
const SAME_NAME = 0.85;

function learned(value: string): ExtractedField {
  return { value, confidence: REGISTRY_CONFIDENCE, source: 'learned' };
}

export function applyRegistryFacts(result: ExtractionResult, facts: RegistryFacts): ExtractionResult {
  const fields = { ...result.fields };
  const findings: Finding[] = [];
  const { ares, vies } = facts;
  if (ares && !ares.found)
    findings.push({
      code: 'company_id_not_registered',
      severity: 'warning',
      field: 'seller.companyId',
      message: `ARES knows no subject with IČO ${ares.ico}`,
    });
  if (ares?.found) {
    const name = fields['seller.name'];
    if (!name || name.confidence < 0.7) fields['seller.name'] = learned(ares.name);
    else if (nameSimilarity(name.value, ares.name) < SAME_NAME)
      findings.push({
        code: 'registry_name_mismatch',
        severity: 'warning',
        field: 'seller.name',
        message: `ARES registers IČO ${ares.ico} as "${ares.name}", the document says "${name.value}"`,
      });
    else fields['seller.name'] = { ...name, confidence: Math.max(name.confidence, REGISTRY_CONFIDENCE) };
    const vat = fields['seller.vatId'];
    if (ares.vatId && !vat) fields['seller.vatId'] = learned(ares.vatId);
    else if (ares.vatId && vat && vat.value !== ares.vatId)
      findings.push({
        code: 'registry_vat_id_mismatch',
        severity: 'warning',
        field: 'seller.vatId',
        message: `ARES gives IČO ${ares.ico} the DIČ ${ares.vatId}, the document says ${vat.value}`,
      });
  }
  if (vies && !vies.valid)
    findings.push({
      code: 'vat_id_not_registered',
      severity: 'warning',
      field: 'seller.vatId',
      message: `VIES says ${vies.vatId} is not a valid VAT registration`,
    });
  if (vies?.valid) {
    const vat = fields['seller.vatId'];
    if (vat) fields['seller.vatId'] = { ...vat, confidence: Math.max(vat.confidence, REGISTRY_CONFIDENCE) };
    findings.push({
      code: 'vat_id_registered',
      severity: 'info',
      field: 'seller.vatId',
      message: `VIES confirms ${vies.vatId}`,
    });
  }
  for (const registry of facts.unavailable ?? [])
    findings.push({
      code: 'registry_unavailable',
      severity: 'info',
      message: `${registry} did not answer; the seller was not checked there`,
    });
  const all = [...result.findings, ...findings];
  return {
    ...result,
    fields,
    findings: all,
    needsReview: result.needsReview || findings.some((f) => f.severity === 'error'),
  };
}
