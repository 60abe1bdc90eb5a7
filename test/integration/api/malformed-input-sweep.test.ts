/**
 * Issue 12: no request path ends in a 5xx for bad input. This walks every operation of the
 * OpenAPI document the API serves (so a new route is swept without anyone adding it here) and
 * sends it malformed JSON, wrong content types, an oversize body, wrong types and oversize strings
 * for each documented body property, path ids that are not ids, and invalid query and header
 * values, as a signed-in person and, where tokens may call it, as an integration token holding
 * every scope. Every answer must be below 500, and every error an application/problem+json body.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIONS } from '../../../src/core/permissions.js';
import { bearer, login, signup, type SignedUp } from '../../helpers/auth.js';
import { samplePdf, uploadRaw } from '../../helpers/documents.js';
import { useTestEnv } from '../../helpers/test-env.js';

// The sweep sends a few thousand requests from one address and one principal.
const env = useTestEnv({ env: { RATE_LIMIT_MAX: '1000000' } });

type Json = Record<string, any>;
interface Operation {
  method: string;
  path: string;
  op: Json;
}
interface Attempt {
  label: string;
  url: string;
  headers?: Record<string, string>;
  payload?: string | Buffer;
}

let owner: SignedUp;
let token: string;
let documentId: string;
let operations: Operation[];

const METHODS = ['get', 'put', 'post', 'patch', 'delete'];
const HUGE = 'x'.repeat(100_000);
const b64 = (s: string) => Buffer.from(s).toString('base64url');

beforeAll(async () => {
  owner = await signup(env.app);
  const up = await uploadRaw(env.app, owner.token, samplePdf(), { contentType: 'application/pdf' });
  expect(up.statusCode, up.body).toBe(201);
  documentId = up.json().id;
  const created = await env.app.inject({
    method: 'POST',
    url: '/v1/tokens',
    headers: bearer(owner.token),
    payload: { name: 'sweep', scopes: [...PERMISSIONS] },
  });
  expect(created.statusCode, created.body).toBe(201);
  token = created.json().token;
  const spec = (await env.app.inject({ url: '/docs/json' })).json() as { paths: Record<string, Json> };
  operations = Object.entries(spec.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((method) => ({ method, path, op: item[method] })),
  );
});

/** The path with its parameters filled: a real document where one fits, a random uuid otherwise. */
function pathWith(path: string, value?: string): string {
  return path.replace(/\{[^}]+\}/g, () =>
    encodeURIComponent(
      value ??
        (path.includes('/documents/') || path.startsWith('/v1/extractions/') ? documentId : randomUUID()),
    ),
  );
}

function wrongValuesFor(schema: Json | undefined): unknown[] {
  const types = [schema?.type, ...(schema?.anyOf ?? []).map((s: Json) => s.type)].flat().filter(Boolean);
  const values: unknown[] = [{ nested: { deeper: [1, 2, 3] } }, HUGE, 12345, true, [HUGE]];
  if (types.includes('array')) values.push(Array.from({ length: 20_000 }, () => 'x'));
  if (types.includes('integer') || types.includes('number')) values.push(-1, 2 ** 53 + 1, 1e308, 'NaN');
  if (types.includes('string')) values.push('', '\u0000', '\ud800', '2026-13-45T99:99:99Z');
  return values;
}

function attemptsFor(o: Operation): Attempt[] {
  const url = pathWith(o.path);
  const json = { 'content-type': 'application/json' };
  const attempts: Attempt[] = [];
  for (const bad of ['not-an-id', '1', "' OR 1=1 --", 'x'.repeat(2_000), '%00', '..%2F..%2Fetc%2Fpasswd']) {
    if (o.path.includes('{'))
      attempts.push({ label: `path ${bad.slice(0, 20)}`, url: pathWith(o.path, bad) });
  }
  for (const param of (o.op.parameters ?? []) as Json[]) {
    const name = param.name as string;
    if (param.in === 'query') {
      for (const bad of [
        'x',
        HUGE.slice(0, 5_000),
        '-1',
        '1e999',
        '',
        '%ZZ',
        b64('{"at":"nope","id":1}'),
        b64('{'),
      ]) {
        const raw = bad === '%ZZ' ? bad : encodeURIComponent(bad);
        attempts.push({ label: `query ${name}=${bad.slice(0, 20)}`, url: `${url}?${name}=${raw}` });
      }
      attempts.push({ label: `query ${name} twice`, url: `${url}?${name}=1&${name}=2` });
    }
    if (param.in === 'header') {
      for (const bad of ['bytes=abc', 'bytes=99999999999999999999-', 'bytes=5-1', '"', 'x'.repeat(4_000)]) {
        attempts.push({ label: `header ${name}: ${bad.slice(0, 20)}`, url, headers: { [name]: bad } });
      }
    }
  }
  if (o.method !== 'get') {
    attempts.push(
      { label: 'malformed JSON', url, headers: json, payload: '{"a": ' },
      { label: 'JSON array', url, headers: json, payload: '[]' },
      { label: 'JSON string', url, headers: json, payload: '"text"' },
      { label: 'JSON null', url, headers: json, payload: 'null' },
      { label: 'JSON nested deep', url, headers: json, payload: '['.repeat(5_000) + ']'.repeat(5_000) },
      { label: 'text/plain', url, headers: { 'content-type': 'text/plain' }, payload: 'hello' },
      { label: 'XML', url, headers: { 'content-type': 'application/xml' }, payload: '<a/>' },
      {
        label: 'form',
        url,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'a=1',
      },
      {
        label: 'multipart without boundary',
        url,
        headers: { 'content-type': 'multipart/form-data' },
        payload: 'x',
      },
      { label: 'no content type', url, headers: { 'content-type': '' }, payload: 'x' },
      { label: 'oversize JSON', url, headers: json, payload: JSON.stringify({ a: 'x'.repeat(1_100_000) }) },
    );
    const schema = o.op.requestBody?.content?.['application/json']?.schema as Json | undefined;
    for (const [property, propertySchema] of Object.entries((schema?.properties ?? {}) as Json)) {
      for (const value of wrongValuesFor(propertySchema)) {
        const label = `body.${property} = ${JSON.stringify(value)?.slice(0, 20)}`;
        attempts.push({ label, url, headers: json, payload: JSON.stringify({ [property]: value }) });
      }
    }
  }
  if (o.path.includes('{')) {
    // Not valid percent-encoding at all, as some clients send it.
    for (const raw of ['%ZZ', '%', '%E0%A4%A']) {
      attempts.push({ label: `raw path ${raw}`, url: o.path.replace(/\{[^}]+\}/g, raw) });
    }
  }
  return attempts;
}

describe('malformed input sweep over every documented operation', () => {
  it('answers every malformed request below 500, and every error as application/problem+json', async () => {
    const failures: string[] = [];
    let sent = 0;
    for (const o of operations) {
      // A fresh session per operation: a malformed request may still sign the session out.
      const relogin = await login(env.app, owner.email, owner.password);
      expect(relogin.statusCode, relogin.body).toBe(200);
      const credentials = [{ who: 'session', bearer: relogin.json().token as string }];
      const isPublic = Array.isArray(o.op.security) && o.op.security.length === 0;
      if (!isPublic && o.op['x-people-only'] !== true) credentials.push({ who: 'token', bearer: token });
      for (const credential of credentials) {
        for (const attempt of attemptsFor(o)) {
          const res = await env.app.inject({
            method: o.method.toUpperCase() as 'GET',
            url: attempt.url,
            headers: { ...bearer(credential.bearer), ...attempt.headers },
            ...(attempt.payload === undefined ? {} : { payload: attempt.payload }),
          });
          sent += 1;
          const where = `${o.method.toUpperCase()} ${o.path} [${credential.who}] ${attempt.label}`;
          if (res.statusCode >= 500) failures.push(`${where}: ${res.statusCode} ${res.body.slice(0, 200)}`);
          else if (
            res.statusCode >= 400 &&
            !/^application\/problem\+json/.test(String(res.headers['content-type']))
          )
            failures.push(`${where}: ${res.statusCode} as ${String(res.headers['content-type'])}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(operations.length).toBeGreaterThan(60);
    expect(sent).toBeGreaterThan(2_000);
  }, 120_000);
});
