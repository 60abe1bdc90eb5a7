import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { type systemContext } from '../../src/core/request-context.js';
import { hashEvent, GENESIS_HASH } from '../../src/modules/audit/audit-chain.js';
import { createAuditService } from '../../src/modules/audit/audit.service.js';
import { signerFromPrivateKey } from '../../src/platform/crypto/signing-key.js';
import { createTestTenant } from '../helpers/tenants.js';
import { useTestEnv } from '../helpers/test-env.js';
import { generateKeyPairSync } from 'node:crypto';

const env = useTestEnv({ app: false });

/** Records `count` events, one transaction each; chains them (as the worker would) unless told not to. */
async function recordEvents(
  ctx: ReturnType<typeof systemContext>,
  count: number,
  { chain = true } = {},
): Promise<void> {
  for (let i = 0; i < count; i++) {
    await env.container.db.withTenant(ctx, (tx) =>
      env.container.audit.record(tx, ctx, {
        action: 'document.viewed',
        target: { type: 'document', id: `doc-${i}` },
        payload: { i },
      }),
    );
  }
  if (chain) await env.container.auditChainer.chainPending(ctx.tenantId);
}

/** Runs SQL as superuser with the append-only triggers switched off: what a rogue DBA could do. */
async function tamper(sql: string, params: unknown[]): Promise<void> {
  await env.adminQuery(
    `BEGIN; SET LOCAL session_replication_role = replica; ${sql.replace(/\$(\d)/g, (_, n) => `'${String(params[Number(n) - 1])}'`)}; COMMIT;`,
  );
}

describe('audit log', () => {
  it('records events unchained in the caller transaction; the chainer links them per tenant with gapless sequence numbers', async () => {
    const { tenant, ctx } = await createTestTenant(env);
    await recordEvents(ctx, 3, { chain: false });
    const unchained = await env.adminQuery(
      'SELECT count(*)::int AS n FROM audit_events WHERE tenant_id = $1 AND seq IS NULL AND hash IS NULL',
      [tenant.id],
    );
    expect(unchained.rows[0].n).toBe(4);
    expect(await env.container.auditChainer.chainPending(tenant.id)).toMatchObject({ chained: 4 });
    const { rows } = await env.adminQuery(
      'SELECT seq::int, action, actor_kind, prev_hash, hash FROM audit_events WHERE tenant_id = $1 ORDER BY seq',
      [tenant.id],
    );
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
    expect(rows[0]).toMatchObject({
      action: 'tenant.created',
      actor_kind: 'system',
      prev_hash: GENESIS_HASH,
    });
    for (let i = 1; i < rows.length; i++) expect(rows[i].prev_hash).toBe(rows[i - 1].hash);
    const report = await env.container.audit.verifyChain(ctx);
    expect(report).toMatchObject({ ok: true, eventsChecked: 4, problems: [] });
  });

  it('discards the event when the surrounding transaction rolls back', async () => {
    const { tenant, ctx } = await createTestTenant(env);
    await expect(
      env.container.db.withTenant(ctx, async (tx) => {
        await env.container.audit.record(tx, ctx, { action: 'document.deleted' });
        throw new Error('change failed');
      }),
    ).rejects.toThrow('change failed');
    const { rows } = await env.adminQuery('SELECT action FROM audit_events WHERE tenant_id = $1', [
      tenant.id,
    ]);
    expect(rows.map((r) => r.action)).toEqual(['tenant.created']);
  });

  it('keeps the chain intact under 40 concurrent writers: once chained, seq runs 1..N over exactly the recorded events', async () => {
    const { tenant, ctx } = await createTestTenant(env);
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        env.container.db.withTenant(ctx, (tx) =>
          env.container.audit.record(tx, ctx, { action: 'document.viewed', payload: { i } }),
        ),
      ),
    );
    await env.container.auditChainer.chainPending(tenant.id, { batchSize: 7 });
    const report = await env.container.audit.verifyChain(ctx);
    expect(report).toMatchObject({ ok: true, eventsChecked: 41, unchained: { count: 0 } });
    const { rows } = await env.adminQuery(
      `SELECT count(*)::int AS n, count(seq)::int AS chained, count(DISTINCT seq)::int AS seqs,
              min(seq)::int AS first, max(seq)::int AS last
         FROM audit_events WHERE tenant_id = $1`,
      [tenant.id],
    );
    expect(rows[0]).toEqual({ n: 41, chained: 41, seqs: 41, first: 1, last: 41 });
  });

  it('refuses payload keys that look like secrets and actions not named <resource>.<verb>', async () => {
    const { ctx } = await createTestTenant(env);
    await expect(
      env.container.db.withTenant(ctx, (tx) =>
        env.container.audit.record(tx, ctx, {
          action: 'user.logged_in',
          payload: { nested: { password: 'x' } },
        }),
      ),
    ).rejects.toThrow(/looks like a secret/);
    await expect(
      env.container.db.withTenant(ctx, (tx) => env.container.audit.record(tx, ctx, { action: 'LoggedIn' })),
    ).rejects.toThrow(/resource/);
  });

  it('lets the runtime role only insert, select and chain, and rejects other UPDATEs, DELETE and TRUNCATE for everyone', async () => {
    const { tenant, ctx } = await createTestTenant(env);
    await env.container.auditChainer.chainPending(tenant.id);
    await env.container.audit.createCheckpoint(ctx);
    const client = await env.runtimeClient();
    await client.query(`SELECT set_config('app.tenant_id', $1, false)`, [tenant.id]);
    await expect(client.query(`UPDATE audit_events SET action = 'x.y'`)).rejects.toThrow(/permission denied/);
    await expect(client.query('DELETE FROM audit_events')).rejects.toThrow(/permission denied/);
    await expect(client.query('TRUNCATE audit_events')).rejects.toThrow(/permission denied/);
    await expect(env.adminQuery(`UPDATE audit_events SET action = 'x.y'`)).rejects.toThrow(/append-only/);
    await expect(env.adminQuery('DELETE FROM audit_events')).rejects.toThrow(/append-only/);
    await expect(env.adminQuery('TRUNCATE audit_events')).rejects.toThrow(/append-only/);
    await expect(env.adminQuery('DELETE FROM audit_checkpoints')).rejects.toThrow(/append-only/);
    await expect(env.adminQuery(`UPDATE audit_checkpoints SET signature = 'x'`)).rejects.toThrow(
      /append-only/,
    );
    await expect(env.adminQuery('TRUNCATE audit_checkpoints')).rejects.toThrow(/append-only/);
  });

  it('detects a modified event and names it as the first broken link', async () => {
    const { tenant, ctx } = await createTestTenant(env);
    await recordEvents(ctx, 4);
    const { rows } = await env.adminQuery('SELECT id FROM audit_events WHERE tenant_id = $1 AND seq = 3', [
      tenant.id,
    ]);
    await tamper(`UPDATE audit_events SET payload = '{"i": 99}' WHERE id = $1`, [rows[0].id]);
    const report = await env.container.audit.verifyChain(ctx);
    expect(report.ok).toBe(false);
    expect(report.problems[0]).toMatchObject({ seq: '3', eventId: rows[0].id, reason: 'hash_mismatch' });
  });

  it('detects a deleted event as a gap in the sequence', async () => {
    const { tenant, ctx } = await createTestTenant(env);
    await recordEvents(ctx, 4);
    await tamper('DELETE FROM audit_events WHERE tenant_id = $1 AND seq = 2', [tenant.id]);
    const report = await env.container.audit.verifyChain(ctx);
    expect(report.problems[0]).toMatchObject({ seq: '3', reason: 'seq_gap' });
  });

  it('detects a consistently rewritten chain through the signed checkpoint', async () => {
    const { tenant, ctx } = await createTestTenant(env);
    await recordEvents(ctx, 3);
    const checkpoint = await env.container.audit.createCheckpoint(ctx);
    expect(checkpoint?.seq).toBe('4');
    // Rewrite event 2 and recompute every later hash, as an attacker with the database would.
    const { rows } = await env.adminQuery(
      `SELECT id, tenant_id AS "tenantId", seq, occurred_at AS "occurredAt", actor_kind AS "actorKind", actor_id AS "actorId",
              action, target_type AS "targetType", target_id AS "targetId", request_id AS "requestId", ip,
              user_agent AS "userAgent", payload, prev_hash AS "prevHash"
         FROM audit_events WHERE tenant_id = $1 ORDER BY seq`,
      [tenant.id],
    );
    let prev = GENESIS_HASH;
    for (const row of rows) {
      if (row.seq === '2') row.payload = { i: 42 };
      const hash = hashEvent(prev, { ...row, seq: BigInt(row.seq) });
      await tamper(
        `UPDATE audit_events SET payload = '${JSON.stringify(row.payload)}', prev_hash = $1, hash = $2 WHERE id = $3`,
        [prev, hash, row.id],
      );
      prev = hash;
    }
    const report = await env.container.audit.verifyChain(ctx);
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      expect.objectContaining({ seq: '4', reason: 'checkpoint_head_mismatch' }),
    ]);
  });

  it('rejects checkpoints signed by a key it does not trust', async () => {
    const { ctx } = await createTestTenant(env);
    const foreignSigner = signerFromPrivateKey(generateKeyPairSync('ed25519').privateKey);
    const forger = createAuditService({ db: env.container.db, signer: foreignSigner });
    await env.container.auditChainer.chainPending(ctx.tenantId);
    expect(await forger.createCheckpoint(ctx)).not.toBeNull();
    const report = await env.container.audit.verifyChain(ctx);
    expect(report.problems).toEqual([expect.objectContaining({ reason: 'checkpoint_unknown_key' })]);
  });

  it('`doklad audit checkpoint` chains pending events first; `audit verify` exits 0 on an intact chain with a backlog and 1 naming the event on a tampered one', async () => {
    const { tenant, ctx } = await createTestTenant(env);
    await recordEvents(ctx, 2, { chain: false });
    const cli = (...args: string[]) =>
      spawnSync('tsx', ['src/cli.ts', 'audit', ...args, '--tenant', tenant.id], {
        encoding: 'utf8',
        env: {
          ...process.env,
          DATABASE_URL: env.config.database.url,
          MIGRATION_DATABASE_URL: env.config.database.migrationUrl,
          REDIS_URL: env.config.redis.url,
          AUDIT_SIGNING_KEY: env.config.audit.signingKey.pem,
        },
      });
    const checkpoint = cli('checkpoint');
    expect(checkpoint.status).toBe(0);
    expect(checkpoint.stderr).toContain('Chained 3 pending audit events');
    expect(JSON.parse(checkpoint.stdout)).toMatchObject({ seq: '3' });
    await recordEvents(ctx, 1, { chain: false });
    const intact = cli('verify');
    expect(intact.stderr).toContain('is intact: 3 events, 1 signed checkpoints verified');
    expect(intact.stderr).toContain('1 events wait to be chained');
    expect(intact.status).toBe(0);
    const { rows } = await env.adminQuery('SELECT id FROM audit_events WHERE tenant_id = $1 AND seq = 2', [
      tenant.id,
    ]);
    await tamper(`UPDATE audit_events SET actor_id = 'someone-else' WHERE id = $1`, [rows[0].id]);
    const broken = cli('verify');
    expect(broken.status).toBe(1);
    expect(broken.stderr).toContain(`event #2 (id ${rows[0].id}): hash_mismatch`);
    // Three CLI processes; each compiles the CLI with tsx, slow on a busy machine.
  }, 90_000);
});
