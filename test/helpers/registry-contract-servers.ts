/**
 * Local servers that speak the REST contracts of the two public registers Doklad asks about a
 * seller, as the real services answer them (contract doubles, not mocks of our own code):
 *
 * - ARES (`GET /ekonomicke-subjekty-v-be/rest/ekonomicke-subjekty/{ico}`): the subject record with
 *   `ico`, `obchodniJmeno`, `sidlo` (with `textovaAdresa` and the address parts), `pravniForma`,
 *   `dic`, `datumVzniku`, `czNace`…; 404 `{ kod: "NENALEZENO", popis, subKod }` for an unknown IČO,
 *   400 `{ kod: "CHYBA_VSTUPU", … }` for one that is not 8 digits.
 * - VIES (`GET /taxation_customs/vies/rest-api/ms/{country}/vat/{number}`): `{ isValid, requestDate,
 *   userError: VALID|INVALID|MS_UNAVAILABLE…, name, address ("---" when undisclosed),
 *   requestIdentifier, originalVatNumber, vatNumber, viesApproximate }`; 400 `{ actionSucceed:
 *   false, errorWrappers: [{ error: "INVALID_INPUT", message }] }` for a malformed number.
 *
 * Both record every request (method, path, query, headers, body length) so tests can check that
 * only the identifier was sent, and can be told to stall (timeout) or to answer garbage.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRegistryRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly bodyBytes: number;
}

export interface RegistryContractServer {
  readonly url: string;
  readonly requests: RecordedRegistryRequest[];
  /** Delay every answer by this long (a register that hangs). */
  stallMs: number;
  /** Answer 200 with a body that is not the documented one. */
  malformed: boolean;
  close(): Promise<void>;
}

export interface AresSubjectRecord {
  readonly ico: string;
  readonly obchodniJmeno: string;
  readonly dic?: string;
  readonly ulice: string;
  readonly cisloDomovni: number;
  readonly obec: string;
  readonly psc: number;
}

async function serve(
  handle: (req: IncomingMessage, url: URL) => { status: number; body: unknown },
): Promise<RegistryContractServer> {
  const requests: RecordedRegistryRequest[] = [];
  const state = { stallMs: 0, malformed: false };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let bodyBytes = 0;
    req.on('data', (chunk: Buffer) => (bodyBytes += chunk.length));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://registry.invalid');
      requests.push({
        method: req.method ?? '',
        path: url.pathname,
        query: url.search,
        headers: req.headers,
        bodyBytes,
      });
      const answer = (): void => {
        if (res.destroyed) return;
        if (state.malformed) {
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"unexpected": [1, 2');
          return;
        }
        const { status, body } = handle(req, url);
        res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8' }).end(JSON.stringify(body));
      };
      if (state.stallMs > 0) setTimeout(answer, state.stallMs).unref();
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get stallMs() {
      return state.stallMs;
    },
    set stallMs(ms: number) {
      state.stallMs = ms;
    },
    get malformed() {
      return state.malformed;
    },
    set malformed(on: boolean) {
      state.malformed = on;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const ARES_PATH = /^\/ekonomicke-subjekty-v-be\/rest\/ekonomicke-subjekty\/([^/]+)$/;

export function startAresContractServer(
  subjects: readonly AresSubjectRecord[],
): Promise<RegistryContractServer> {
  const byIco = new Map(subjects.map((s) => [s.ico, s]));
  return serve((req, url) => {
    const m = url.pathname.match(ARES_PATH);
    if (req.method !== 'GET' || !m)
      return { status: 404, body: { kod: 'NENALEZENO', popis: 'Služba nenalezena.' } };
    const ico = decodeURIComponent(m[1]!);
    if (!/^\d{8}$/.test(ico))
      return {
        status: 400,
        body: { kod: 'CHYBA_VSTUPU', popis: 'Chyba vstupních parametrů.', subKod: 'VSTUP_ICO_NEPLATNE' },
      };
    const s = byIco.get(ico);
    if (!s)
      return {
        status: 404,
        body: {
          kod: 'NENALEZENO',
          popis: 'Ekonomický subjekt nebyl nalezen.',
          subKod: 'VYSTUP_SUBJEKT_NENALEZEN',
        },
      };
    return {
      status: 200,
      body: {
        ico: s.ico,
        obchodniJmeno: s.obchodniJmeno,
        sidlo: {
          kodStatu: 'CZ',
          nazevStatu: 'Česká republika',
          nazevObce: s.obec,
          nazevUlice: s.ulice,
          cisloDomovni: s.cisloDomovni,
          psc: s.psc,
          textovaAdresa: `${s.ulice} ${s.cisloDomovni}, ${s.psc} ${s.obec}`,
        },
        pravniForma: '112',
        financniUrad: '004',
        datumVzniku: '2003-08-06',
        datumAktualizace: '2024-03-01',
        ...(s.dic ? { dic: s.dic } : {}),
        icoId: s.ico,
        primarniZdroj: 'vr',
        czNace: ['62010'],
      },
    };
  });
}

export interface ViesRecord {
  readonly vatId: string;
  readonly name?: string;
  readonly address?: string;
}

const VIES_PATH = /^\/taxation_customs\/vies\/rest-api\/ms\/([A-Z]{2})\/vat\/([^/]+)$/;

/** `unavailable` countries answer MS_UNAVAILABLE, as a member state's register outside its hours. */
export function startViesContractServer(
  registered: readonly ViesRecord[],
  unavailable: readonly string[] = [],
): Promise<RegistryContractServer> {
  const byId = new Map(registered.map((r) => [r.vatId, r]));
  return serve((req, url) => {
    const m = url.pathname.match(VIES_PATH);
    if (req.method !== 'GET' || !m)
      return { status: 404, body: { actionSucceed: false, errorWrappers: [{ error: 'NOT_FOUND' }] } };
    const [country, number] = [m[1]!, decodeURIComponent(m[2]!)];
    if (!/^[0-9A-Z+*]{2,12}$/.test(number))
      return {
        status: 400,
        body: {
          actionSucceed: false,
          errorWrappers: [{ error: 'INVALID_INPUT', message: 'The provided input is invalid' }],
        },
      };
    const record = byId.get(`${country}${number}`);
    const base = {
      requestDate: new Date().toISOString(),
      requestIdentifier: '',
      originalVatNumber: number,
      vatNumber: number,
      viesApproximate: {
        name: '---',
        street: '---',
        postalCode: '---',
        city: '---',
        companyType: '---',
        matchName: 3,
        matchStreet: 3,
        matchPostalCode: 3,
        matchCity: 3,
        matchCompanyType: 3,
      },
    };
    if (unavailable.includes(country))
      return {
        status: 200,
        body: { ...base, isValid: false, userError: 'MS_UNAVAILABLE', name: '---', address: '---' },
      };
    return {
      status: 200,
      body: {
        ...base,
        isValid: Boolean(record),
        userError: record ? 'VALID' : 'INVALID',
        name: record?.name ?? '---',
        address: record?.address ?? '---',
      },
    };
  });
}
