/**
 * The ARES and VIES clients against local servers of their REST contracts: found, not found,
 * timeout and malformed answers, the cache, and that nothing but the identifier is sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAresClient } from '../../../src/platform/registries/ares-client.js';
import { RegistryUnavailableError } from '../../../src/platform/registries/registry-http.js';
import { createViesClient } from '../../../src/platform/registries/vies-client.js';
import {
  startAresContractServer,
  startViesContractServer,
  type RegistryContractServer,
} from '../../helpers/registry-contract-servers.js';

let ares: RegistryContractServer;
let vies: RegistryContractServer;

beforeAll(async () => {
  ares = await startAresContractServer([
    {
      ico: '27074358',
      obchodniJmeno: 'Asseco Central Europe, a.s.',
      dic: 'CZ27074358',
      ulice: 'Budějovická',
      cisloDomovni: 778,
      obec: 'Praha',
      psc: 14000,
    },
    {
      ico: '00006947',
      obchodniJmeno: 'Ministerstvo financí',
      ulice: 'Letenská',
      cisloDomovni: 525,
      obec: 'Praha',
      psc: 11800,
    },
  ]);
  vies = await startViesContractServer(
    [
      { vatId: 'DE136695976' },
      {
        vatId: 'CZ27074358',
        name: 'Asseco Central Europe, a.s.',
        address: 'Budějovická 778/3a\n14000 Praha 4',
      },
    ],
    ['ES'],
  );
});
afterAll(async () => {
  await ares?.close();
  await vies?.close();
});

/** Asserts the request carried the identifier in its path and nothing else about anyone. */
function onlyIdentifierSent(server: RegistryContractServer, path: string): void {
  const req = server.requests.at(-1)!;
  expect(req).toMatchObject({ method: 'GET', path, query: '', bodyBytes: 0 });
  expect(req.headers.cookie).toBeUndefined();
  expect(req.headers.authorization).toBeUndefined();
  expect(req.headers.referer).toBeUndefined();
}

async function unavailable(promise: Promise<unknown>): Promise<RegistryUnavailableError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RegistryUnavailableError);
  return error as RegistryUnavailableError;
}

describe('ARES client', () => {
  it('finds a subject by IČO: registered name, seat and DIČ, sending only the IČO, then from cache', async () => {
    const client = createAresClient({ baseUrl: ares.url, timeoutMs: 2_000 });
    const before = ares.requests.length;
    expect(await client.lookup('270 74 358')).toEqual({
      ico: '27074358',
      name: 'Asseco Central Europe, a.s.',
      address: 'Budějovická 778, 14000 Praha',
      vatId: 'CZ27074358',
    });
    onlyIdentifierSent(ares, '/ekonomicke-subjekty-v-be/rest/ekonomicke-subjekty/27074358');
    await client.lookup('27074358');
    expect(ares.requests.length).toBe(before + 1);
    // Short IČOs are written without leading zeros; ARES wants all 8 digits. No DIČ: not a VAT payer.
    expect(await client.lookup('6947')).toMatchObject({ ico: '00006947', vatId: undefined });
  });

  it('answers null for an IČO ARES does not know (404 NENALEZENO) and never asks about an impossible one', async () => {
    const client = createAresClient({ baseUrl: ares.url, timeoutMs: 2_000 });
    expect(await client.lookup('45274649')).toBeNull();
    onlyIdentifierSent(ares, '/ekonomicke-subjekty-v-be/rest/ekonomicke-subjekty/45274649');
    const before = ares.requests.length;
    expect(await client.lookup('12345678')).toBeNull(); // check digit wrong
    expect(await client.lookup('CZ27074358; DROP')).toBeNull();
    expect(ares.requests.length).toBe(before);
  });

  it('gives up after its timeout with a timeout error', async () => {
    const client = createAresClient({ baseUrl: ares.url, timeoutMs: 200 });
    ares.stallMs = 2_000;
    try {
      const started = Date.now();
      expect((await unavailable(client.lookup('27074358'))).reason).toBe('timeout');
      expect(Date.now() - started).toBeLessThan(1_500);
    } finally {
      ares.stallMs = 0;
    }
  });

  it('refuses an answer that is not the documented JSON', async () => {
    const client = createAresClient({ baseUrl: ares.url, timeoutMs: 2_000 });
    ares.malformed = true;
    try {
      expect((await unavailable(client.lookup('27074358'))).reason).toBe('malformed');
    } finally {
      ares.malformed = false;
    }
    // A record for another IČO than the one asked is not an answer either.
    const wrongRecord: typeof fetch = async () =>
      new Response(JSON.stringify({ ico: '00006947', obchodniJmeno: 'Someone else' }), { status: 200 });
    const lying = createAresClient({ baseUrl: ares.url, timeoutMs: 2_000, fetch: wrongRecord });
    expect((await unavailable(lying.lookup('27074358'))).reason).toBe('malformed');
  });
});

describe('VIES client', () => {
  it('confirms a registered VAT ID with the disclosed name, sending only country and number', async () => {
    const client = createViesClient({ baseUrl: vies.url, timeoutMs: 2_000 });
    expect(await client.check('CZ 270 74 358')).toEqual({
      vatId: 'CZ27074358',
      valid: true,
      name: 'Asseco Central Europe, a.s.',
      address: 'Budějovická 778/3a 14000 Praha 4',
    });
    onlyIdentifierSent(vies, '/taxation_customs/vies/rest-api/ms/CZ/vat/27074358');
    // Germany discloses no name ("---"): valid, nameless.
    expect(await client.check('DE136695976')).toEqual({ vatId: 'DE136695976', valid: true });
  });

  it('says not valid for an unregistered number and for one VIES refuses as input', async () => {
    const client = createViesClient({ baseUrl: vies.url, timeoutMs: 2_000 });
    expect(await client.check('DE999999999')).toMatchObject({ valid: false });
    expect(await client.check('FR-XX/123')).toBeNull(); // not a VAT ID shape: nothing is sent
    // Greek VAT IDs are EL in VIES.
    await client.check('GR094259216');
    expect(vies.requests.at(-1)!.path).toBe('/taxation_customs/vies/rest-api/ms/EL/vat/094259216');
    expect(await client.check('US123456789')).toBeNull();
  });

  it('treats a member state that does not answer as unavailable, not as invalid', async () => {
    const client = createViesClient({ baseUrl: vies.url, timeoutMs: 2_000 });
    expect((await unavailable(client.check('ESB12345678'))).reason).toBe('status');
  });

  it('gives up after its timeout and refuses malformed answers', async () => {
    const client = createViesClient({ baseUrl: vies.url, timeoutMs: 200 });
    vies.stallMs = 2_000;
    try {
      expect((await unavailable(client.check('PL5260250995'))).reason).toBe('timeout');
    } finally {
      vies.stallMs = 0;
    }
    vies.malformed = true;
    try {
      expect((await unavailable(client.check('PL5260250995'))).reason).toBe('malformed');
    } finally {
      vies.malformed = false;
    }
    const contradicting: typeof fetch = async () =>
      new Response(JSON.stringify({ isValid: true, userError: 'INVALID' }), { status: 200 });
    const lying = createViesClient({ baseUrl: vies.url, timeoutMs: 2_000, fetch: contradicting });
    expect((await unavailable(lying.check('PL5260250995'))).reason).toBe('malformed');
  });
});
