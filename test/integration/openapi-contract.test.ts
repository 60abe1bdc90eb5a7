/**
 * The OpenAPI document is the contract integrators generate clients from: these checks walk every
 * operation of /docs/json, so a new route cannot ship undocumented errors, access or bodies.
 * Redocly CLI's recommended ruleset runs on the same document in `npm run lint` (scripts/openapi-lint.ts).
 */
import { describe, expect, it } from 'vitest';
import { useTestEnv } from '../helpers/test-env.js';

const env = useTestEnv();

type Json = Record<string, unknown>;
interface Operation {
  method: string;
  path: string;
  op: Json & { responses: Record<string, Json>; tags?: string[] };
}

const METHODS = new Set(['get', 'put', 'post', 'patch', 'delete']);

async function loadSpec(): Promise<Json & { paths: Record<string, Record<string, Json>> }> {
  const res = await env.app.inject({ url: '/docs/json' });
  expect(res.statusCode).toBe(200);
  return res.json();
}

function operationsOf(spec: Awaited<ReturnType<typeof loadSpec>>): Operation[] {
  return Object.entries(spec.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.has(method))
      .map(([method, op]) => ({ method, path, op: op as Operation['op'] })),
  );
}

/** Liveness and readiness probes take no input, are not rate-limited and answer 503 as JSON. */
const isHealth = (o: Operation) => o.op.tags?.includes('health') === true;
const label = (o: Operation) => `${o.method.toUpperCase()} ${o.path}`;

describe('OpenAPI contract (/docs/json)', () => {
  it('gives every operation a summary and real response descriptions', async () => {
    const spec = await loadSpec();
    // The derivation's internal plan never leaks into the published document.
    expect(JSON.stringify(spec)).not.toContain('x-doklad-plan');
    const operations = operationsOf(spec);
    expect(operations.length).toBeGreaterThan(50);
    for (const o of operations) {
      expect(o.op.summary, label(o)).toEqual(expect.any(String));
      for (const [status, response] of Object.entries(o.op.responses)) {
        expect(response.description, `${label(o)} ${status}`).not.toBe('Default Response');
        expect(String(response.description).length, `${label(o)} ${status}`).toBeGreaterThan(0);
      }
    }
  });

  it('documents every error as the shared Problem component, as application/problem+json', async () => {
    const spec = await loadSpec();
    const problem = (spec.components as { schemas: Record<string, Json> }).schemas.Problem;
    expect(problem).toMatchObject({
      required: expect.arrayContaining(['type', 'title', 'status', 'detail', 'code', 'instance']),
    });
    expect(Object.keys(problem!.properties as Json)).toEqual(
      expect.arrayContaining(['errors', 'retryAfterSeconds']),
    );
    for (const o of operationsOf(spec)) {
      const errors = Object.entries(o.op.responses).filter(([status]) => Number(status) >= 400);
      if (!isHealth(o)) {
        expect(
          errors.some(([status]) => Number(status) < 500),
          `${label(o)} has a 4xx`,
        ).toBe(true);
      }
      for (const [status, response] of errors) {
        // The readiness probes' 503 is their JSON report (which dependency is down), not a problem.
        if (isHealth(o) && status === '503') continue;
        expect(response.content, `${label(o)} ${status}`).toEqual({
          'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } },
        });
      }
    }
  });

  it('derives the error statuses from each declaration: validation, auth, not found, rate limit, busy', async () => {
    for (const o of operationsOf(await loadSpec())) {
      const statuses = Object.keys(o.op.responses);
      const hasInput = Boolean(o.op.requestBody) || ((o.op.parameters as unknown[]) ?? []).length > 0;
      if (hasInput && !isHealth(o)) expect(statuses, `${label(o)} 400`).toContain('400');
      if (o.path.includes('{')) expect(statuses, `${label(o)} 404`).toContain('404');
      if (!isHealth(o)) {
        expect(statuses, `${label(o)} 429`).toContain('429');
        expect(statuses, `${label(o)} 503`).toContain('503');
        expect(o.op.responses['429']!.headers, label(o)).toHaveProperty('Retry-After');
        expect(o.op.responses['503']!.headers, label(o)).toHaveProperty('Retry-After');
      }
      if (o.op.responses['201']) expect(o.op.responses['201'].headers, label(o)).toHaveProperty('Location');
    }
  });

  it('says who may call each operation: security: [] when public, a permission or people-only otherwise', async () => {
    for (const o of operationsOf(await loadSpec())) {
      const security = o.op.security as unknown[] | undefined;
      expect(security, label(o)).toBeDefined();
      if (security!.length === 0) {
        expect(o.op['x-required-permission'], `${label(o)} is public`).toBeUndefined();
        continue;
      }
      expect(security).toEqual([{ bearerAuth: [] }]);
      expect(o.op.responses['401'], label(o)).toBeDefined();
      expect(o.op.responses['403'], label(o)).toBeDefined();
      const permission = o.op['x-required-permission'];
      const description = String(o.op.description);
      if (typeof permission === 'string') expect(description, label(o)).toContain(`\`${permission}\``);
      else {
        expect(description, `${label(o)} is userOnly`).toContain('people only');
        expect(o.op['x-people-only'], `${label(o)} is userOnly`).toBe(true);
      }
    }
  });

  it('lets /docs upload a document as multipart (a binary file field) or as the raw bytes', async () => {
    const spec = await loadSpec();
    const upload = spec.paths['/v1/documents']!.post as Operation['op'];
    const body = upload.requestBody as { required: boolean; content: Record<string, { schema: Json }> };
    expect(body.required).toBe(true);
    expect(body.content['multipart/form-data']!.schema).toMatchObject({
      required: ['file'],
      properties: { file: { type: 'string', format: 'binary' }, companyId: {}, type: {}, externalRef: {} },
    });
    for (const type of [
      'application/pdf',
      'image/png',
      'image/jpeg',
      'image/tiff',
      'application/xml',
      'application/zip',
    ]) {
      expect(body.content[type], type).toEqual({ schema: { type: 'string', format: 'binary' } });
    }
    expect(Object.keys(upload.responses)).toEqual(
      expect.arrayContaining(['200', '201', '409', '413', '415']),
    );
  });

  it('documents downloads, CSV and UBL with their media types and headers', async () => {
    const spec = await loadSpec();
    const content = spec.paths['/v1/documents/{id}/content']!.get as Operation['op'];
    expect(Object.keys(content.responses)).toEqual(expect.arrayContaining(['200', '206', '304', '416']));
    expect(content.responses['200']!.content).toHaveProperty('application/pdf');
    expect(content.responses['200']!.content).not.toHaveProperty('application/json');
    expect(Object.keys(content.responses['200']!.headers as Json)).toEqual(
      expect.arrayContaining(['ETag', 'Accept-Ranges']),
    );
    expect(content.responses['206']!.headers).toHaveProperty('Content-Range');
    const csv = spec.paths['/v1/extractions']!.get as Operation['op'];
    expect(csv.responses['200']!.content).toHaveProperty('text/csv');
    const ubl = spec.paths['/v1/extractions/{id}']!.get as Operation['op'];
    expect(ubl.responses['200']!.content).toHaveProperty('application/xml');
  });

  it('does not mark optional bodies required', async () => {
    const spec = await loadSpec();
    const trash = spec.paths['/v1/documents/{id}']!.delete as Operation['op'];
    const validate = spec.paths['/v1/documents/{id}/extraction/validate']!.post as Operation['op'];
    expect((trash.requestBody as Json).required).toBe(false);
    expect((validate.requestBody as Json).required).toBe(false);
    const legalHold = spec.paths['/v1/documents/{id}/legal-hold']!.put as Operation['op'];
    expect((legalHold.requestBody as Json).required).toBe(true);
  });
});
