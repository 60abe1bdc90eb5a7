/**
 * Training consent (default off, owners change it, every change audited, readable by the
 * extraction learning code) and the firm's record of processing (region, sub-processors from
 * configuration, retention, backups, consent).
 */
import { describe, expect, it } from 'vitest';
import { systemContext } from '../../../src/core/request-context.js';
import { addMember, bearer, signup, type SignedUp } from '../../helpers/auth.js';
import { useTestEnv } from '../../helpers/test-env.js';

const env = useTestEnv({
  env: {
    BACKUP_RETENTION_DAYS: '14',
    SUB_PROCESSORS: 'Example Cloud Ltd|hosting and storage|EU (Ireland); Mailer GmbH|transactional email|EU',
  },
});

function putConsent(session: SignedUp, payload: unknown) {
  return env.app.inject({
    method: 'PUT',
    url: '/v1/tenant/training-consent',
    headers: bearer(session.token),
    payload: payload as Record<string, unknown>,
  });
}

function consentGiven(tenantId: string): Promise<boolean> {
  const ctx = systemContext(tenantId, { kind: 'worker', id: 'worker:learning' });
  return env.container.db.withTenant(ctx, (tx) => env.container.tenants.isTrainingConsentGiven(tx, tenantId));
}

async function consentEvents(tenantId: string) {
  const { rows } = await env.adminQuery(
    `SELECT actor_id, payload FROM audit_events
      WHERE tenant_id = $1 AND action = 'tenant.training_consent_changed' ORDER BY ingest_id`,
    [tenantId],
  );
  return rows;
}

describe('training consent', () => {
  it('is off for a new firm, for the API and for the learning code', async () => {
    const owner = await signup(env.app);
    const res = await env.app.inject({ url: '/v1/tenant/training-consent', headers: bearer(owner.token) });
    expect(res.json()).toEqual({ allowed: false, changedAt: null });
    expect(await consentGiven(owner.tenantId)).toBe(false);
  });

  it('an owner turns it on and off; each change is audited with who did it, a repeat is not', async () => {
    const owner = await signup(env.app);
    const on = await putConsent(owner, { allowed: true });
    expect(on.statusCode, on.body).toBe(200);
    expect(on.json()).toEqual({ allowed: true, changedAt: expect.any(String) });
    expect(await consentGiven(owner.tenantId)).toBe(true);
    expect((await putConsent(owner, { allowed: true })).statusCode).toBe(200);
    expect((await putConsent(owner, { allowed: false })).json().allowed).toBe(false);
    expect(await consentGiven(owner.tenantId)).toBe(false);
    expect(await consentEvents(owner.tenantId)).toEqual([
      { actor_id: owner.userId, payload: { from: false, to: true } },
      { actor_id: owner.userId, payload: { from: true, to: false } },
    ]);
  });

  it('only an owner may change it: an admin gets 403 and nothing changes; members may read it', async () => {
    const owner = await signup(env.app);
    const admin = await addMember(env, owner, 'admin');
    const res = await putConsent(admin, { allowed: true });
    expect([res.statusCode, res.json().code]).toEqual([403, 'forbidden']);
    expect(await consentGiven(owner.tenantId)).toBe(false);
    const viewer = await addMember(env, owner, 'viewer');
    const read = await env.app.inject({ url: '/v1/tenant/training-consent', headers: bearer(viewer.token) });
    expect(read.json().allowed).toBe(false);
    expect(await consentEvents(owner.tenantId)).toEqual([]);
  });

  it("is one firm's own: turning it on leaves every other firm's off", async () => {
    const a = await signup(env.app);
    const b = await signup(env.app);
    expect((await putConsent(a, { allowed: true })).statusCode).toBe(200);
    expect(await consentGiven(b.tenantId)).toBe(false);
    const bView = await env.app.inject({ url: '/v1/tenant/training-consent', headers: bearer(b.token) });
    expect(bView.json().allowed).toBe(false);
    expect(await consentEvents(b.tenantId)).toEqual([]);
  });

  it('refuses malformed bodies with 400 naming the field', async () => {
    const owner = await signup(env.app);
    for (const payload of [{}, { allowed: 'yes' }, { allowed: 1 }, { allowed: true, everyone: true }]) {
      const res = await putConsent(owner, payload);
      expect([res.statusCode, res.json().code], JSON.stringify(payload)).toEqual([400, 'validation_failed']);
    }
    expect(await consentGiven(owner.tenantId)).toBe(false);
  });

  it('counts as not given while the firm is suspended, whatever it said', async () => {
    const owner = await signup(env.app);
    expect((await putConsent(owner, { allowed: true })).statusCode).toBe(200);
    await env.container.tenants.suspendTenant(systemContext(owner.tenantId), 'test');
    expect(await consentGiven(owner.tenantId)).toBe(false);
  });
});

describe('record of processing', () => {
  it('tells an administrator the region, the configured sub-processors, retention, backups and consent', async () => {
    const owner = await signup(env.app);
    const admin = await addMember(env, owner, 'admin');
    await putConsent(owner, { allowed: true });
    const res = await env.app.inject({ url: '/v1/tenant/data-processing', headers: bearer(admin.token) });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      tenantId: owner.tenantId,
      status: 'active',
      region: 'eu-west',
      subProcessors: [
        { name: 'Example Cloud Ltd', purpose: 'hosting and storage', location: 'EU (Ireland)' },
        { name: 'Mailer GmbH', purpose: 'transactional email', location: 'EU' },
      ],
      retention: { defaultYears: 10, typeYears: {}, trashDays: 30, backupDays: 14, offboardingGraceDays: 30 },
      encryption: { documents: expect.stringMatching(/AES-256-GCM/), keyManagement: expect.any(String) },
      trainingConsent: { allowed: true, changedAt: expect.any(String) },
    });
  });

  it("shows each firm its own region and retention, never another firm's", async () => {
    const owner = await signup(env.app);
    const retention = await env.app.inject({
      method: 'PUT',
      url: '/v1/retention-policy',
      headers: bearer(owner.token),
      payload: { defaultYears: 7 },
    });
    expect(retention.statusCode, retention.body).toBe(200);
    const north = await env.container.tenants.createTenant(
      { actor: { kind: 'system', id: 'test' } },
      { name: 'Nordic firm', region: 'eu-north' },
    );
    const record = await env.container.dataProcessing.getRecord(systemContext(north.id));
    expect(record).toMatchObject({ tenantId: north.id, region: 'eu-north', retention: { defaultYears: 10 } });
    const own = await env.app.inject({ url: '/v1/tenant/data-processing', headers: bearer(owner.token) });
    expect(own.json()).toMatchObject({ tenantId: owner.tenantId, retention: { defaultYears: 7 } });
  });

  it('is refused to an accountant (403) and without credentials (401)', async () => {
    const owner = await signup(env.app);
    const accountant = await addMember(env, owner, 'accountant');
    const denied = await env.app.inject({
      url: '/v1/tenant/data-processing',
      headers: bearer(accountant.token),
    });
    expect([denied.statusCode, denied.json().code]).toEqual([403, 'forbidden']);
    expect((await env.app.inject({ url: '/v1/tenant/data-processing' })).statusCode).toBe(401);
  });
});
