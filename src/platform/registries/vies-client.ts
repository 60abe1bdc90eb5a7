/**
 * VIES, the European Commission's VAT number check (REST):
 * `GET {base}/taxation_customs/vies/rest-api/ms/{countryCode}/vat/{vatNumber}` answers
 * `{ isValid, requestDate, userError, name, address, requestIdentifier, vatNumber, … }`; `userError`
 * is `VALID` or `INVALID` for an answer about the number, and `MS_UNAVAILABLE`,
 * `MS_MAX_CONCURRENT_REQ`, `GLOBAL_MAX_CONCURRENT_REQ`, `SERVICE_UNAVAILABLE` or `TIMEOUT` when the
 * member state's register did not answer (that is not "invalid"). Failed requests answer
 * `{ actionSucceed: false, errorWrappers: [{ error, message }] }`. A name or address the member
 * state does not disclose comes as "---". Only country code and number are sent (no requester).
 */
import { z } from 'zod';
import { getRegistryJson, RegistryUnavailableError } from './registry-http.js';
import { createTtlCache } from './ttl-cache.js';

export const VIES_DEFAULT_BASE_URL = 'https://ec.europa.eu';

/** Member states in VIES (Greece as EL, Northern Ireland as XI). */
const VIES_COUNTRIES = new Set(
  'AT BE BG CY CZ DE DK EE EL ES FI FR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK XI'.split(' '),
);

const UNAVAILABLE = new Set([
  'MS_UNAVAILABLE',
  'MS_MAX_CONCURRENT_REQ',
  'GLOBAL_MAX_CONCURRENT_REQ',
  'SERVICE_UNAVAILABLE',
  'TIMEOUT',
  'IP_BLOCKED',
]);

export interface ViesCheck {
  readonly vatId: string;
  readonly valid: boolean;
  readonly name?: string | undefined;
  readonly address?: string | undefined;
}

export interface ViesClient {
  /** Whether the VAT ID is registered; null for an ID VIES does not cover. Throws `RegistryUnavailableError`. */
  check(vatId: string): Promise<ViesCheck | null>;
}

export interface ViesClientOptions {
  readonly baseUrl?: string;
  readonly timeoutMs: number;
  readonly ttlMs?: number;
  readonly maxCacheEntries?: number;
  readonly fetch?: typeof fetch;
  readonly clock?: () => number;
}

const AnswerSchema = z.object({
  isValid: z.boolean(),
  userError: z.string().optional(),
  name: z.string().max(1000).nullable().optional(),
  address: z.string().max(2000).nullable().optional(),
});

const FailureSchema = z.object({
  actionSucceed: z.literal(false),
  errorWrappers: z.array(z.object({ error: z.string(), message: z.string().optional() })).min(1),
});

const disclosed = (value: string | null | undefined): string | undefined => {
  const text = value?.replace(/\s+/g, ' ').trim();
  return text && text !== '---' ? text : undefined;
};

/** "DE 136.695.976" -> ["DE", "136695976"]; Greek VAT IDs are EL in VIES. */
export function splitVatId(raw: string): [string, string] | null {
  const id = raw.toUpperCase().replace(/[\s.-]/g, '');
  const m = id.match(/^([A-Z]{2})([0-9A-Z+*]{2,12})$/);
  if (!m) return null;
  const country = m[1] === 'GR' ? 'EL' : m[1]!;
  return VIES_COUNTRIES.has(country) ? [country, m[2]!] : null;
}

export function createViesClient(options: ViesClientOptions): ViesClient {
  const base = new URL(options.baseUrl ?? VIES_DEFAULT_BASE_URL);
  const cache = createTtlCache<ViesCheck>(options.maxCacheEntries ?? 10_000, options.clock);
  return {
    async check(raw) {
      const split = splitVatId(raw);
      if (!split) return null;
      const [country, number] = split;
      const vatId = `${country}${number}`;
      const cached = cache.get(vatId);
      if (cached) return cached;
      const root = base.pathname.endsWith('/') ? base : new URL(`${base.href}/`);
      const url = new URL(
        `taxation_customs/vies/rest-api/ms/${country}/vat/${encodeURIComponent(number)}`,
        root,
      );
      const { status, json } = await getRegistryJson('VIES', url, options.timeoutMs, options.fetch);
      const failure = FailureSchema.safeParse(json);
      if (failure.success) {
        const code = failure.data.errorWrappers[0]!.error;
        if (code === 'INVALID_INPUT') return remember({ vatId, valid: false });
        throw new RegistryUnavailableError('VIES', 'status', `answered ${status} ${code}`);
      }
      if (status !== 200) throw new RegistryUnavailableError('VIES', 'status', `answered ${status}`);
      const parsed = AnswerSchema.safeParse(json);
      if (!parsed.success)
        throw new RegistryUnavailableError('VIES', 'malformed', 'the answer is not a VAT check');
      const error = parsed.data.userError;
      if (error && UNAVAILABLE.has(error))
        throw new RegistryUnavailableError('VIES', 'status', `the member state did not answer (${error})`);
      // The flag and the code must tell the same story; an answer that contradicts itself is not one.
      if ((error === 'INVALID' && parsed.data.isValid) || (error === 'VALID' && !parsed.data.isValid))
        throw new RegistryUnavailableError('VIES', 'malformed', `isValid contradicts userError ${error}`);
      return remember({
        vatId,
        valid: parsed.data.isValid,
        name: disclosed(parsed.data.name),
        address: disclosed(parsed.data.address),
      });
    },
  };

  function remember(check: ViesCheck): ViesCheck {
    cache.set(check.vatId, check, options.ttlMs ?? 86_400_000);
    return check;
  }
}
