/**
 * ARES, the Czech register of economic subjects (REST API of the Ministry of Finance):
 * `GET {base}/ekonomicke-subjekty-v-be/rest/ekonomicke-subjekty/{ico}` answers one subject by its
 * 8-digit IČO with `ico`, `obchodniJmeno` (registered name), `sidlo.textovaAdresa` (seat) and `dic`
 * (VAT ID, when the subject is a VAT payer); an unknown IČO is 404 with an error body
 * `{ kod: "NENALEZENO", popis, subKod }`, a malformed one 400 `{ kod: "CHYBA_VSTUPU", … }`. Only the
 * IČO is sent. Answers are cached (found for a day, not found for an hour).
 */
import { z } from 'zod';
import { getRegistryJson, RegistryUnavailableError } from './registry-http.js';
import { createTtlCache } from './ttl-cache.js';

export const ARES_DEFAULT_BASE_URL = 'https://ares.gov.cz';

export interface AresSubject {
  readonly ico: string;
  readonly name: string;
  readonly address?: string | undefined;
  readonly vatId?: string | undefined;
}

export interface AresClient {
  /** The subject with this IČO, or null when ARES does not know it. Throws `RegistryUnavailableError`. */
  lookup(ico: string): Promise<AresSubject | null>;
}

export interface AresClientOptions {
  readonly baseUrl?: string;
  readonly timeoutMs: number;
  readonly foundTtlMs?: number;
  readonly notFoundTtlMs?: number;
  readonly maxCacheEntries?: number;
  readonly fetch?: typeof fetch;
  readonly clock?: () => number;
}

const SubjectSchema = z.object({
  ico: z.string().regex(/^\d{8}$/),
  obchodniJmeno: z.string().min(1).max(500),
  sidlo: z
    .object({ textovaAdresa: z.string().max(500).optional() })
    .passthrough()
    .optional(),
  dic: z
    .string()
    .regex(/^CZ\d{8,10}$/)
    .optional(),
});

const ErrorSchema = z.object({ kod: z.string() }).passthrough();

/** An IČO has 8 digits with a mod-11 check digit; shorter ones are written without leading zeros. */
export function normaliseIco(raw: string): string | null {
  const digits = raw.replace(/\s+/g, '');
  if (!/^\d{1,8}$/.test(digits)) return null;
  const ico = digits.padStart(8, '0');
  const sum = [...ico.slice(0, 7)].reduce((s, d, i) => s + Number(d) * (8 - i), 0);
  const check = (11 - (sum % 11)) % 10;
  return Number(ico[7]) === check ? ico : null;
}

export function createAresClient(options: AresClientOptions): AresClient {
  const base = new URL(options.baseUrl ?? ARES_DEFAULT_BASE_URL);
  const cache = createTtlCache<AresSubject | null>(options.maxCacheEntries ?? 10_000, options.clock);
  return {
    async lookup(raw) {
      const ico = normaliseIco(raw);
      if (!ico) return null;
      const cached = cache.get(ico);
      if (cached !== undefined) return cached;
      const url = new URL(`ekonomicke-subjekty-v-be/rest/ekonomicke-subjekty/${ico}`, withSlash(base));
      const { status, json } = await getRegistryJson('ARES', url, options.timeoutMs, options.fetch);
      if (status === 404 || status === 400) {
        if (!ErrorSchema.safeParse(json).success)
          throw new RegistryUnavailableError('ARES', 'malformed', `answer ${status} has no error body`);
        cache.set(ico, null, options.notFoundTtlMs ?? 3_600_000);
        return null;
      }
      if (status !== 200) throw new RegistryUnavailableError('ARES', 'status', `answered ${status}`);
      const parsed = SubjectSchema.safeParse(json);
      if (!parsed.success || parsed.data.ico !== ico)
        throw new RegistryUnavailableError(
          'ARES',
          'malformed',
          'the answer is not a subject record for the IČO asked',
        );
      const subject: AresSubject = {
        ico,
        name: parsed.data.obchodniJmeno,
        address: parsed.data.sidlo?.textovaAdresa,
        vatId: parsed.data.dic,
      };
      cache.set(ico, subject, options.foundTtlMs ?? 86_400_000);
      return subject;
    },
  };
}

function withSlash(url: URL): URL {
  return url.pathname.endsWith('/') ? url : new URL(`${url.href}/`);
}
