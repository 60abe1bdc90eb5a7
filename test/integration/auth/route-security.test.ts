/**
 * Every protected route, checked the same way: another tenant's id is a 404 exactly like a missing
 * one, and a caller without the route's permission gets 403. A route added without an entry in
 * these tables fails the coverage test at the end.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { addMember, bearer, signup, uniqueEmail, type SignedUp } from '../../helpers/auth.js';
import '../../../src/app/route-guard.js';
import { samplePdf, uploadRaw } from '../../helpers/documents.js';
import { useTestEnv } from '../../helpers/test-env.js';

const env = useTestEnv();

interface World {
  a: SignedUp;
  b: SignedUp;
  aViewer: SignedUp;
  aAccountant: SignedUp;
  aAdmin: SignedUp;
  bMember: SignedUp;
  bInvitationId: string;
  bTokenId: string;
  aReadToken: string;
  aMembersToken: string;
  bDocumentId: string;
  bCompanyId: string;
  bWebhookId: string;
  bExportId: string;
  bSupplierId: string;
}
let w: World;

beforeAll(async () => {
  const a = await signup(env.app);
  const b = await signup(env.app);
  const bMember = await addMember(env, b, 'accountant');
  const invitation = await env.app.inject({
    method: 'POST',
    url: '/v1/invitations',
    headers: bearer(b.token),
    payload: { email: uniqueEmail(), role: 'viewer' },
  });
  const bToken = await env.app.inject({
    method: 'POST',
    url: '/v1/tokens',
    headers: bearer(b.token),
    payload: { name: 'b', scopes: ['members:read'] },
  });
  const aRead = await env.app.inject({
    method: 'POST',
    url: '/v1/tokens',
    headers: bearer(a.token),
    payload: { name: 'a-read', scopes: ['documents:read'] },
  });
  const aMembers = await env.app.inject({
    method: 'POST',
    url: '/v1/tokens',
    headers: bearer(a.token),
    payload: { name: 'a-members', scopes: ['members:read'] },
  });
  const bDocument = await uploadRaw(env.app, b.token, samplePdf(), { contentType: 'application/pdf' });
  const bCompany = await env.app.inject({
    method: 'POST',
    url: '/v1/companies',
    headers: bearer(b.token),
    payload: { name: 'B client', country: 'CZ' },
  });
  const bWebhook = await env.app.inject({
    method: 'POST',
    url: '/v1/webhooks',
    headers: bearer(b.token),
    payload: { url: 'https://93.184.215.14/hook', events: ['document.failed'] },
  });
  w = {
    a,
    b,
    bMember,
    aViewer: await addMember(env, a, 'viewer'),
    aAccountant: await addMember(env, a, 'accountant'),
    aAdmin: await addMember(env, a, 'admin'),
    bInvitationId: invitation.json().id,
    bTokenId: bToken.json().id,
    aReadToken: aRead.json().token,
    aMembersToken: aMembers.json().token,
    bDocumentId: bDocument.json().id,
    bCompanyId: bCompany.json().id,
    bWebhookId: bWebhook.json().id,
    bExportId: (
      await env.app.inject({ method: 'POST', url: '/v1/tenant/exports', headers: bearer(b.token) })
    ).json().id,
    // A supplier profile of B (profiles come from corrections; the row is what matters here).
    bSupplierId: (
      await env.adminQuery<{ id: string }>(
        `INSERT INTO supplier_profiles (tenant_id, name, name_key) VALUES ($1, 'B supplier', 'b supplier') RETURNING id`,
        [b.tenantId],
      )
    ).rows[0]!.id,
  };
});

interface RouteCase {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  url: string;
  /** The URL with another tenant's id, for routes that take one. */
  foreignUrl?: () => string;
  /** The URL with an id that exists nowhere. */
  missingUrl?: () => string;
  payload?: () => Record<string, unknown>;
  /** A query string the route requires (its schema runs before the access check). */
  query?: string;
  /** A caller of tenant A who lacks the route's permission (or is a token on userOnly routes). */
  deniedAs: () => string;
}

const routes: RouteCase[] = [
  { method: 'GET', url: '/v1/members', deniedAs: () => w.aReadToken },
  {
    method: 'PATCH',
    url: '/v1/members/:userId',
    foreignUrl: () => `/v1/members/${w.bMember.userId}`,
    missingUrl: () => `/v1/members/${randomUUID()}`,
    payload: () => ({ role: 'viewer' }),
    deniedAs: () => w.aAccountant.token,
  },
  {
    method: 'DELETE',
    url: '/v1/members/:userId',
    foreignUrl: () => `/v1/members/${w.bMember.userId}`,
    missingUrl: () => `/v1/members/${randomUUID()}`,
    deniedAs: () => w.aViewer.token,
  },
  {
    method: 'POST',
    url: '/v1/invitations',
    payload: () => ({ email: uniqueEmail(), role: 'viewer' }),
    deniedAs: () => w.aAccountant.token,
  },
  { method: 'GET', url: '/v1/invitations', deniedAs: () => w.aViewer.token },
  {
    method: 'DELETE',
    url: '/v1/invitations/:id',
    foreignUrl: () => `/v1/invitations/${w.bInvitationId}`,
    missingUrl: () => `/v1/invitations/${randomUUID()}`,
    deniedAs: () => w.aAccountant.token,
  },
  {
    method: 'POST',
    url: '/v1/tokens',
    payload: () => ({ name: 'x', scopes: ['members:read'] }),
    deniedAs: () => w.aAccountant.token,
  },
  { method: 'GET', url: '/v1/tokens', deniedAs: () => w.aViewer.token },
  {
    method: 'DELETE',
    url: '/v1/tokens/:id',
    foreignUrl: () => `/v1/tokens/${w.bTokenId}`,
    missingUrl: () => `/v1/tokens/${randomUUID()}`,
    deniedAs: () => w.aAccountant.token,
  },
  { method: 'GET', url: '/v1/tenant', deniedAs: () => w.aReadToken },
  {
    method: 'PATCH',
    url: '/v1/tenant',
    payload: () => ({ requireMfa: false }),
    deniedAs: () => w.aAdmin.token,
  },
  { method: 'GET', url: '/v1/me', deniedAs: () => w.aReadToken },
  {
    method: 'POST',
    url: '/v1/me/password',
    payload: () => ({ currentPassword: 'x', newPassword: 'y' }),
    deniedAs: () => w.aReadToken,
  },
  { method: 'GET', url: '/v1/me/sessions', deniedAs: () => w.aReadToken },
  {
    method: 'DELETE',
    url: '/v1/me/sessions/:id',
    missingUrl: () => `/v1/me/sessions/${randomUUID()}`,
    deniedAs: () => w.aReadToken,
  },
  {
    method: 'POST',
    url: '/v1/me/mfa/totp',
    payload: () => ({ password: 'x' }),
    deniedAs: () => w.aReadToken,
  },
  {
    method: 'POST',
    url: '/v1/me/mfa/totp/confirm',
    payload: () => ({ code: '123456' }),
    deniedAs: () => w.aReadToken,
  },
  {
    method: 'DELETE',
    url: '/v1/me/mfa/totp',
    payload: () => ({ password: 'x', code: '123456' }),
    deniedAs: () => w.aReadToken,
  },
  {
    method: 'POST',
    url: '/v1/me/email',
    payload: () => ({ newEmail: uniqueEmail(), password: 'x' }),
    deniedAs: () => w.aReadToken,
  },
  { method: 'POST', url: '/v1/me/email/verification', deniedAs: () => w.aReadToken },
  // Also refused to people without the platform role (admin-queues.test.ts).
  { method: 'POST', url: '/v1/admin/console-session', deniedAs: () => w.aReadToken },
  { method: 'POST', url: '/v1/auth/logout', deniedAs: () => w.aReadToken },
  {
    method: 'POST',
    url: '/v1/auth/switch-tenant',
    payload: () => ({ tenantId: randomUUID() }),
    deniedAs: () => w.aReadToken,
  },
  {
    method: 'POST',
    url: '/v1/auth/step-up',
    payload: () => ({ password: 'x' }),
    deniedAs: () => w.aReadToken,
  },
  // Documents: a viewer cannot upload or change; a token with only documents:read cannot write.
  { method: 'POST', url: '/v1/documents', deniedAs: () => w.aViewer.token },
  { method: 'GET', url: '/v1/documents', deniedAs: () => w.aMembersToken },
  documentRoute('GET', '/v1/documents/:id', () => w.aMembersToken),
  documentRoute(
    'PATCH',
    '/v1/documents/:id',
    () => w.aReadToken,
    () => ({ type: 'receipt' }),
  ),
  documentRoute('GET', '/v1/documents/:id/content', () => w.aMembersToken),
  documentRoute('DELETE', '/v1/documents/:id', () => w.aViewer.token),
  documentRoute('POST', '/v1/documents/:id/restore', () => w.aReadToken),
  documentRoute(
    'PUT',
    '/v1/documents/:id/legal-hold',
    () => w.aAccountant.token,
    () => ({ reason: 'audit' }),
  ),
  documentRoute('DELETE', '/v1/documents/:id/legal-hold', () => w.aAccountant.token),
  documentRoute('GET', '/v1/documents/:id/extraction', () => w.aMembersToken),
  documentRoute('POST', '/v1/documents/:id/reprocess', () => w.aReadToken),
  documentRoute(
    'PATCH',
    '/v1/documents/:id/extraction',
    () => w.aViewer.token,
    () => ({ fields: { currency: 'EUR' } }),
  ),
  documentRoute('POST', '/v1/documents/:id/extraction/validate', () => w.aViewer.token),
  // A viewer may read extractions but not mark them exported.
  documentRoute('POST', '/v1/extractions/:id/ack', () => w.aViewer.token),
  documentRoute('GET', '/v1/extractions/:id', () => w.aMembersToken),
  { method: 'GET', url: '/v1/review-queue', deniedAs: () => w.aMembersToken },
  { method: 'GET', url: '/v1/extractions', deniedAs: () => w.aMembersToken },
  {
    method: 'POST',
    url: '/v1/webhooks',
    payload: () => ({ url: 'https://example.com/h', events: ['document.failed'] }),
    deniedAs: () => w.aAccountant.token,
  },
  { method: 'GET', url: '/v1/webhooks', deniedAs: () => w.aAccountant.token },
  webhookRoute('GET', '/v1/webhooks/:id', () => w.aAccountant.token),
  webhookRoute(
    'PATCH',
    '/v1/webhooks/:id',
    () => w.aAccountant.token,
    () => ({ active: true }),
  ),
  webhookRoute('DELETE', '/v1/webhooks/:id', () => w.aAccountant.token),
  webhookRoute('GET', '/v1/webhooks/:id/deliveries', () => w.aAccountant.token),
  { method: 'GET', url: '/v1/retention-policy', deniedAs: () => w.aMembersToken },
  {
    method: 'PUT',
    url: '/v1/retention-policy',
    payload: () => ({ defaultYears: 10 }),
    deniedAs: () => w.aAdmin.token,
  },
  {
    method: 'POST',
    url: '/v1/companies',
    payload: () => ({ name: 'X', country: 'CZ' }),
    deniedAs: () => w.aViewer.token,
  },
  { method: 'GET', url: '/v1/companies', deniedAs: () => w.aMembersToken },
  companyRoute('GET', '/v1/companies/:id', () => w.aMembersToken),
  companyRoute(
    'PATCH',
    '/v1/companies/:id',
    () => w.aViewer.token,
    () => ({ name: 'Y' }),
  ),
  companyRoute('DELETE', '/v1/companies/:id', () => w.aViewer.token),
  // Supplier profiles: read with extractions:read, changed and deleted with extractions:write.
  { method: 'GET', url: '/v1/suppliers', deniedAs: () => w.aMembersToken },
  supplierRoute('GET', '/v1/suppliers/:id', () => w.aMembersToken),
  supplierRoute(
    'PATCH',
    '/v1/suppliers/:id',
    () => w.aViewer.token,
    () => ({ name: 'Renamed supplier' }),
  ),
  supplierRoute('DELETE', '/v1/suppliers/:id', () => w.aViewer.token),
  { method: 'GET', url: '/v1/audit/chain', deniedAs: () => w.aAccountant.token },
  // Privacy: the record of processing is for administrators; consent and closing for owners.
  { method: 'GET', url: '/v1/tenant/data-processing', deniedAs: () => w.aAccountant.token },
  { method: 'GET', url: '/v1/tenant/training-consent', deniedAs: () => w.aReadToken },
  {
    method: 'PUT',
    url: '/v1/tenant/training-consent',
    payload: () => ({ allowed: true }),
    deniedAs: () => w.aAdmin.token,
  },
  // The automation level: owners and admins (automation:manage); changing it is for people.
  { method: 'GET', url: '/v1/tenant/automation', deniedAs: () => w.aAccountant.token },
  {
    method: 'PUT',
    url: '/v1/tenant/automation',
    payload: () => ({ level: 'confident' }),
    deniedAs: () => w.aAccountant.token,
  },
  { method: 'GET', url: '/v1/tenant/offboarding', deniedAs: () => w.aAdmin.token },
  {
    method: 'POST',
    url: '/v1/tenant/offboarding',
    payload: () => ({ confirmName: 'x' }),
    deniedAs: () => w.aAdmin.token,
  },
  { method: 'DELETE', url: '/v1/tenant/offboarding', deniedAs: () => w.aAdmin.token },
  {
    method: 'GET',
    url: '/v1/members/:userId/personal-data',
    foreignUrl: () => `/v1/members/${w.bMember.userId}/personal-data`,
    missingUrl: () => `/v1/members/${randomUUID()}/personal-data`,
    deniedAs: () => w.aAccountant.token,
  },
  { method: 'POST', url: '/v1/tenant/exports', deniedAs: () => w.aAdmin.token },
  idRoute(
    () => w.bExportId,
    'GET',
    '/v1/tenant/exports/:id',
    () => w.aAdmin.token,
  ),
  idRoute(
    () => w.bExportId,
    'POST',
    '/v1/tenant/exports/:id/download-link',
    () => w.aAdmin.token,
  ),
  {
    ...idRoute(
      () => w.bExportId,
      'GET',
      '/v1/tenant/exports/:id/archive',
      () => w.aAdmin.token,
    ),
    query: '?token=dlx_0123456789abcdef',
    foreignUrl: () => `/v1/tenant/exports/${w.bExportId}/archive?token=dlx_0123456789abcdef`,
    missingUrl: () => `/v1/tenant/exports/${randomUUID()}/archive?token=dlx_0123456789abcdef`,
  },
  {
    method: 'POST',
    url: '/v1/me/erasure',
    payload: () => ({ confirmEmail: 'someone@example.test' }),
    deniedAs: () => w.aReadToken,
  },
  { method: 'GET', url: '/v1/audit-events', deniedAs: () => w.aViewer.token },
  { method: 'GET', url: '/v1/audit-events/export', deniedAs: () => w.aAccountant.token },
  documentRoute('GET', '/v1/documents/:id/access-log', () => w.aAccountant.token),
  { method: 'GET', url: '/v1/audit/verification', deniedAs: () => w.aReadToken },
  { method: 'GET', url: '/v1/audit/checkpoints', deniedAs: () => w.aViewer.token },
  { method: 'GET', url: '/v1/audit/public-keys', deniedAs: () => w.aAccountant.token },
];

/** A route on one document: the foreign case uses tenant B's document. */
/** A route on one object: the foreign case uses tenant B's object of that kind. */
function idRoute(
  foreignId: () => string,
  method: RouteCase['method'],
  url: string,
  deniedAs: () => string,
  payload?: () => Record<string, unknown>,
): RouteCase {
  return {
    method,
    url,
    deniedAs,
    payload,
    foreignUrl: () => url.replace(':id', foreignId()),
    missingUrl: () => url.replace(':id', randomUUID()),
  };
}

function documentRoute(...args: RouteArgs): RouteCase {
  return idRoute(() => w.bDocumentId, ...args);
}
function companyRoute(...args: RouteArgs): RouteCase {
  return idRoute(() => w.bCompanyId, ...args);
}
function supplierRoute(...args: RouteArgs): RouteCase {
  return idRoute(() => w.bSupplierId, ...args);
}
function webhookRoute(...args: RouteArgs): RouteCase {
  return idRoute(() => w.bWebhookId, ...args);
}
type RouteArgs = [
  method: RouteCase['method'],
  url: string,
  deniedAs: () => string,
  payload?: () => Record<string, unknown>,
];

describe.each(routes)('$method $url', (route) => {
  const url = () => route.url.replace(/:(\w+)/g, () => randomUUID()) + (route.query ?? '');

  it('answers 401 without credentials', async () => {
    const res = await env.app.inject({ method: route.method, url: url(), payload: route.payload?.() });
    expect(res.statusCode).toBe(401);
  });

  it('answers 403 to a caller without its permission', async () => {
    const res = await env.app.inject({
      method: route.method,
      url: route.missingUrl?.() ?? url(),
      headers: bearer(route.deniedAs()),
      payload: route.payload?.(),
    });
    expect(res.statusCode, res.body).toBe(403);
  });

  it.skipIf(!route.foreignUrl)(
    "answers 404 for another tenant's object, exactly like a missing one",
    async () => {
      const owner = bearer(w.a.token);
      const foreign = await env.app.inject({
        method: route.method,
        url: route.foreignUrl!(),
        headers: { ...owner, 'x-request-id': 'isolation-check-1' },
        payload: route.payload?.(),
      });
      const missing = await env.app.inject({
        method: route.method,
        url: route.missingUrl!(),
        headers: { ...owner, 'x-request-id': 'isolation-check-1' },
        payload: route.payload?.(),
      });
      expect(foreign.statusCode, foreign.body).toBe(404);
      expect(foreign.body).toBe(missing.body);
    },
  );
});

describe('route coverage', () => {
  it('lists every non-public route of the API in this file, and /docs marks each as needing a token', async () => {
    const secured = env.app.declaredRoutes.filter((r) => !r.public).map((r) => `${r.method} ${r.url}`);
    const covered = new Set(routes.map((r) => `${r.method} ${r.url}`));
    expect(secured.filter((r) => !covered.has(r))).toEqual([]);
    const spec = (await env.app.inject({ url: '/docs/json' })).json() as {
      paths: Record<string, Record<string, { security?: unknown }>>;
    };
    for (const route of routes) {
      const op = spec.paths[route.url.replace(/:(\w+)/g, '{$1}')]?.[route.method.toLowerCase()];
      expect(op?.security, `${route.method} ${route.url}`).toEqual([{ bearerAuth: [] }]);
    }
  });
});
