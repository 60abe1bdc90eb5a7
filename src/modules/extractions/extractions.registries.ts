/**
 * Registry lookups for a finished extraction (off unless configured): the seller's Czech IČO in
 * ARES, its EU VAT ID in VIES. Only the identifier leaves Doklad; a register that does not answer
 * in time is noted and changes nothing; the engine merges what they said (`applyRegistryFacts`).
 */
import { applyRegistryFacts, type ExtractionResult, type RegistryFacts } from '../../extraction/model.js';
import { normaliseIco, type AresClient } from '../../platform/registries/ares-client.js';
import { RegistryUnavailableError } from '../../platform/registries/registry-http.js';
import { splitVatId, type ViesClient } from '../../platform/registries/vies-client.js';

export interface RegistryLookups {
  readonly ares?: AresClient | undefined;
  readonly vies?: ViesClient | undefined;
}

/** A Czech seller: a CZ VAT ID, or Czech crowns without any other VAT ID. */
function czechIco(result: ExtractionResult): string | null {
  const vat = result.fields['seller.vatId']?.value;
  const czech = vat ? vat.startsWith('CZ') : result.fields.currency?.value === 'CZK';
  const raw = result.fields['seller.companyId']?.value;
  return czech && raw ? normaliseIco(raw) : null;
}

/** Asks the configured registers about the seller; a register error other than silence propagates. */
export async function lookupRegistryFacts(
  result: ExtractionResult,
  lookups: RegistryLookups,
): Promise<RegistryFacts> {
  const facts: RegistryFacts = {};
  const unavailable: string[] = [];
  const ico = lookups.ares ? czechIco(result) : null;
  const vat = result.fields['seller.vatId']?.value;
  const asks: Promise<void>[] = [];
  if (ico && lookups.ares)
    asks.push(
      lookups.ares.lookup(ico).then((subject) => {
        facts.ares = subject ? { found: true, ...subject } : { ico, found: false };
      }),
    );
  if (vat && lookups.vies && splitVatId(vat))
    asks.push(
      lookups.vies.check(vat).then((check) => {
        if (check) facts.vies = check;
      }),
    );
  for (const outcome of await Promise.allSettled(asks)) {
    if (outcome.status === 'fulfilled') continue;
    if (outcome.reason instanceof RegistryUnavailableError) unavailable.push(outcome.reason.registry);
    else throw outcome.reason;
  }
  if (unavailable.length) facts.unavailable = unavailable;
  return facts;
}

/** The result with what the registers said merged in; unchanged when no register is configured. */
export async function checkWithRegistries(
  result: ExtractionResult,
  lookups: RegistryLookups | undefined,
): Promise<ExtractionResult> {
  if (!lookups || (!lookups.ares && !lookups.vies)) return result;
  const facts = await lookupRegistryFacts(result, lookups);
  return Object.keys(facts).length ? applyRegistryFacts(result, facts) : result;
}
