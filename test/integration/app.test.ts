import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildApp } from '../../src/app/build-app.js';
import { ConflictError } from '../../src/core/errors.js';
import { createRegionalBlobStores } from '../../src/platform/storage/regional-blob-stores.js';
import { azuriteConnectionString } from '../../scripts/dev-services/azurite-process.js';
import { bearer, signup, STRONG_PASSWORD, uniqueEmail } from '../helpers/auth.js';
import { useTestEnv } from '../helpers/test-env.js';
import type { FastifyInstance } from 'fastify';

const env = useTestEnv();

/** The test app plus routes that exercise validation, error rendering and permissions. */
async function appWithProbeRoutes(): Promise<FastifyInstance> {
  const app = await buildApp(env.container);
  app.post(
    '/probe/echo',
    {
      config: { public: true },
      schema: {
        body: z.object({ email: z.email(), count: z.number().int().min(1) }),
        response: { 200: z.object({ ok: z.boolean() }) },
      },
    },
    async () => ({ ok: true }),
  );
  app.get('/probe/crash', { config: { public: true } }, async () => {
    throw new Error('connection to 10.0.0.5 failed: password authentication failed for user "secret_user"');
  });
  app.get('/probe/conflict', { config: { public: true } }, async () => {
    throw new ConflictError('That name is taken.');
  });
  app.get('/probe/guarded', { config: { permission: 'documents:read' } }, async () => ({ ok: true }));
  await app.ready();
  return app;
}

describe('HTTP application', () => {
  it('answers /healthz and, with PostgreSQL, Redis and blob storage up, /readyz 200', async () => {
    expect((await env.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await env.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({
      status: 'ready',
      checks: { database: 'up', redis: 'up', blobStorage: 'up', blobContents: 'up' },
    });
  });

  it('answers /readyz 503 naming the dependency that is down', async () => {
    const app = await buildApp({
      ...env.container,
      blobStores: createRegionalBlobStores({ 'eu-west': azuriteConnectionString(1) }, 'probe'),
    });
    const ready = await app.inject({ url: '/readyz' });
    await app.close();
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toEqual({
      status: 'not_ready',
      checks: { database: 'up', redis: 'up', blobStorage: 'down', blobContents: 'up' },
    });
  });

  it('logs one line per request: method, route template (never the URL), status, duration, request id', async () => {
    const requestId = 'req-onelinelog1';
    const res = await env.app.inject({
      url: `/v1/documents/${'0'.repeat(8)}-0000-4000-8000-000000000000?token=secret-in-query`,
      headers: { 'x-request-id': requestId },
    });
    expect(res.statusCode).toBe(401);
    const lines = env.logs.filter((line) => line.includes(requestId));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 30,
      reqId: requestId,
      method: 'GET',
      route: '/v1/documents/:id',
      status: 401,
      durationMs: expect.any(Number),
      msg: 'request',
    });
    expect(lines[0]).not.toContain('secret-in-query');
  });

  it('answers an unknown route with a problem+json 404 carrying the request id', async () => {
    const res = await env.app.inject({ url: '/v1/nope?x=1', headers: { 'x-request-id': 'req-12345678' } });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.headers['x-request-id']).toBe('req-12345678');
    expect(res.json()).toEqual({
      type: 'urn:doklad:problem:route_not_found',
      title: 'Not Found',
      status: 404,
      code: 'route_not_found',
      detail: 'No route GET /v1/nope.',
      instance: 'req-12345678',
    });
  });

  it('replaces a request id that is not safe to log with a fresh one', async () => {
    const res = await env.app.inject({
      url: '/healthz',
      headers: { 'x-request-id': 'bad id\nwith newline' },
    });
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers invalid input with 400 problem+json listing every failing field, and bad JSON with 400', async () => {
    const app = await appWithProbeRoutes();
    const res = await app.inject({
      method: 'POST',
      url: '/probe/echo',
      payload: { email: 'nope', count: 0 },
    });
    const malformed = await app.inject({
      method: 'POST',
      url: '/probe/echo',
      headers: { 'content-type': 'application/json' },
      payload: '{"email":',
    });
    await app.close();
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body).toMatchObject({
      status: 400,
      code: 'validation_failed',
      type: 'urn:doklad:problem:validation_failed',
    });
    expect(body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['body.count', 'body.email']);
    expect(malformed.statusCode).toBe(400);
    expect(malformed.headers['content-type']).toContain('application/problem+json');
  });

  it('renders AppErrors with their own status and detail', async () => {
    const app = await appWithProbeRoutes();
    const res = await app.inject({ url: '/probe/conflict' });
    await app.close();
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'conflict', detail: 'That name is taken.' });
  });

  it('answers an unexpected error with a 500 that reveals nothing internal, and logs it', async () => {
    const app = await appWithProbeRoutes();
    const res = await app.inject({ url: '/probe/crash' });
    await app.close();
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toMatch(/10\.0\.0\.5|secret_user|stack|at /);
    expect(res.json()).toMatchObject({ code: 'internal_error', instance: res.headers['x-request-id'] });
    expect(
      env.logs.some((l) => l.includes('unexpected error') && l.includes(String(res.headers['x-request-id']))),
    ).toBe(true);
  });

  it('refuses to start when a route declares neither a permission nor public access', async () => {
    const app = await buildApp(env.container);
    expect(() => app.get('/v1/forgotten', async () => ({}))).toThrow(
      /declares neither config.permission nor config.public/,
    );
    await app.close();
  });

  it('answers 401 on a route that needs a permission when the caller is not authenticated', async () => {
    const app = await appWithProbeRoutes();
    const res = await app.inject({ url: '/probe/guarded' });
    await app.close();
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'unauthorized' });
  });

  it('sets protective headers on every answer', async () => {
    const res = await env.app.inject({ url: '/healthz' });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.headers['strict-transport-security']).toBeDefined();
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
  });

  it('serves OpenAPI 3.1 at /docs/json and the interactive UI at /docs', async () => {
    const spec = (await env.app.inject({ url: '/docs/json' })).json();
    expect(spec.openapi).toBe('3.1.0');
    expect(spec.info.title).toBe('Doklad API');
    expect(spec.paths['/readyz'].get.responses['503']).toBeDefined();
    expect(spec.paths['/healthz'].get.operationId).toBe('getHealth');
    const ui = await env.app.inject({ url: '/docs/' });
    const page = ui.statusCode === 302 ? await env.app.inject({ url: String(ui.headers.location) }) : ui;
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('swagger-ui');
    expect(page.body).not.toMatch(/https?:\/\/(unpkg|cdn)/);
  });
});

describe('caching', () => {
  it('marks every API answer no-store, above all the ones carrying session tokens', async () => {
    const owner = await signup(env.app);
    const signedIn = await env.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email: owner.email, password: owner.password },
    });
    expect(signedIn.statusCode).toBe(200);
    const signedUp = await env.app.inject({
      method: 'POST',
      url: '/v1/auth/signup',
      payload: {
        tenantName: 'Cache Firm',
        email: uniqueEmail('cache'),
        password: STRONG_PASSWORD,
        name: 'C',
      },
    });
    expect(signedUp.statusCode).toBe(201);
    const me = await env.app.inject({ url: '/v1/me', headers: bearer(owner.token) });
    for (const res of [signedIn, signedUp, me]) expect(res.headers['cache-control']).toBe('no-store');
  });
});

describe('rate limiting', () => {
  const limited = useTestEnv({ env: { RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_MS: '60000' } });

  it('answers 429 problem+json with Retry-After once a client exceeds the limit', async () => {
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 5; i++) {
      last = await limited.app.inject({ url: '/v1/anything', remoteAddress: '203.0.113.7' });
      statuses.push(last.statusCode);
    }
    expect(statuses).toEqual([404, 404, 404, 429, 429]);
    expect(last!.headers['retry-after']).toBeDefined();
    expect(last!.json()).toMatchObject({ status: 429, code: 'too_many_requests' });
    const otherClient = await limited.app.inject({ url: '/v1/anything', remoteAddress: '203.0.113.8' });
    expect(otherClient.statusCode).toBe(404);
  });

  it('throttles failed authentication too: invalid bearer tokens from one address end in 429', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await limited.app.inject({
        url: '/v1/documents',
        remoteAddress: '203.0.113.9',
        headers: { authorization: `Bearer dk_${'x'.repeat(40)}${i}` },
      });
      statuses.push(res.statusCode);
      if (res.statusCode === 429) expect(res.headers['retry-after']).toMatch(/^\d+$/);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
  });
});
