import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { RequestContext } from '../../src/core/request-context.js';
import { createAuditChainer, startAuditChainLoop } from '../../src/modules/audit/audit.chainer.js';
import { openDb, type Db } from '../../src/platform/db/db.js';
import { createTestTenant } from '../helpers/tenants.js';
import { useTestEnv } from '../helpers/test-env.js';

const env = useTestEnv({ app: false });

function record(ctx: RequestContext, i: number, db: Db = env.container.db): Promise<void> {
  return db.withTenant(ctx, (tx) =>
    env.container.audit.record(tx, ctx, { action: 'document.viewed', payload: { i } }),
  );
}

/** A backlog of `count` unchained events, inserted in one statement (as many writers would have). */
async function insertBacklog(tenantId: string, count: number): Promise<void> {
  await env.adminQuery(
    `INSERT INTO audit_events (tenant_id, occurred_at, actor_kind, actor_id, action, payload)
     SELECT $1, now(), 'system', 'test', 'document.viewed', jsonb_build_object('i', g)
       FROM generate_series(1, $2::int) g`,
    [tenantId, count],
  );
}

/** What a correct chain looks like in the table: every event chained once, seq exactly 1..N. */
async function chainShape(tenantId: string) {
  const { rows } = await env.adminQuery(
    `SELECT count(*)::int AS events, count(seq)::int AS chained, count(DISTINCT seq)::int AS distinct_seqs,
            coalesce(min(seq), 0)::int AS first, coalesce(max(seq), 0)::int AS last
       FROM audit_events WHERE tenant_id = $1`,
    [tenantId],
  );
  return rows[0] as { events: number; chained: number; distinct_seqs: number; first: number; last: number };
}

function expectCompleteChain(shape: Awaited<ReturnType<typeof chainShape>>, events: number): void {
  expect(shape).toEqual({ events, chained: events, distinct_seqs: events, first: 1, last: events });
}

/** A transaction that records an event and stays open until `commit()` is called. */
async function openTransactionWithEvent(ctx: RequestContext, i: number) {
  let commit!: () => void;
  const mayCommit = new Promise<void>((resolve) => (commit = resolve));
  let recorded!: () => void;
  const hasRecorded = new Promise<void>((resolve) => (recorded = resolve));
  const done = env.container.db.withTenant(ctx, async (tx) => {
    await env.container.audit.record(tx, ctx, { action: 'document.viewed', payload: { i } });
    recorded();
    await mayCommit;
  });
  await hasRecorded;
  return {
    async commit() {
      commit();
      await done;
    },
  };
}

describe('audit sequencer', () => {
  it('records without a tenant-wide lock: a second transaction records and commits while the first is still open', async () => {
    const { ctx } = await createTestTenant(env);
    const first = await openTransactionWithEvent(ctx, 1);
    const outcome = await Promise.race([
      record(ctx, 2).then(() => 'second committed'),
      sleep(3_000).then(() => 'second still waiting'),
    ]);
    await first.commit();
    expect(outcome).toBe('second committed');
  });

  it('chains in commit order: an event whose transaction commits late is chained next, never skipped', async () => {
    const { tenant, ctx } = await createTestTenant(env);
    await env.container.auditChainer.chainPending(tenant.id);
    const late = await openTransactionWithEvent(ctx, 1);
    await record(ctx, 2);
    // The open transaction's event is invisible to the chainer: it chains only the committed one.
    expect(await env.container.auditChainer.chainPending(tenant.id)).toMatchObject({ chained: 1 });
    await late.commit();
    expect(await env.container.auditChainer.chainPending(tenant.id)).toMatchObject({ chained: 1 });
    const { rows } = await env.adminQuery(
      `SELECT seq::int, payload->>'i' AS i, ingest_id FROM audit_events WHERE tenant_id = $1 ORDER BY seq`,
      [tenant.id],
    );
    expect(rows.map((r) => [r.seq, r.i])).toEqual([
      [1, null],
      [2, '2'],
      [3, '1'],
    ]);
    expect(BigInt(rows[2].ingest_id)).toBeLessThan(BigInt(rows[1].ingest_id));
    expect(await env.container.audit.verifyChain(ctx)).toMatchObject({ ok: true, eventsChecked: 3 });
  });

  it('chains while writers keep recording and two chainers with separate pools race: every event chained exactly once, no gaps', async () => {
    const { tenant, ctx } = await createTestTenant(env);
    const otherReplica = openDb(env.config.database.url, 2);
    const chainers = [
      env.container.auditChainer,
      createAuditChainer({ db: otherReplica, logger: env.container.logger, batchSize: 5 }),
    ];
    let writing = true;
    const chainerLoops = chainers.map(async (chainer, n) => {
      while (writing) {
        // One waits for the lock, the other skips a busy tenant, as the worker loop does.
        await chainer.chainPending(tenant.id, { batchSize: 3 + n * 4, skipIfBusy: n === 1 });
        await sleep(5);
      }
    });
    try {
      await Promise.all(
        Array.from({ length: 3 }, async (_, w) => {
          for (let i = 0; i < 40; i++) await record(ctx, w * 1000 + i);
        }),
      );
    } finally {
      writing = false;
      await Promise.all(chainerLoops);
    }
    await chainers[1]!.chainPending(tenant.id);
    await otherReplica.close();
    expectCompleteChain(await chainShape(tenant.id), 121);
    expect(await env.container.audit.verifyChain(ctx)).toMatchObject({
      ok: true,
      eventsChecked: 121,
      unchained: { count: 0, oldestOccurredAt: null },
    });
  });

  it('a chainer killed mid-chaining leaves only whole batches chained, and a fresh chainer completes a chain that verifies', async () => {
    const { tenant, ctx } = await createTestTenant(env);
    await env.container.auditChainer.chainPending(tenant.id);
    const backlog = 20_000;
    const batchSize = 100;
    await insertBacklog(tenant.id, backlog);
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'test/helpers/chain-audit-backlog.ts',
        env.config.database.url,
        tenant.id,
        `${batchSize}`,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_, signal) => resolve(signal)),
    );
    // Kill it once it has committed a few batches, while most of the backlog is still ahead.
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && (await chainShape(tenant.id)).chained < 1 + 5 * batchSize)
      await sleep(10);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const afterKill = await chainShape(tenant.id);
    expect(afterKill.chained).toBeGreaterThan(1);
    expect(afterKill.chained).toBeLessThan(1 + backlog);
    // Each batch is one transaction: the killed one rolled back entirely.
    expect((afterKill.chained - 1) % batchSize).toBe(0);
    await env.container.auditChainer.chainPending(tenant.id);
    expectCompleteChain(await chainShape(tenant.id), 1 + backlog);
    expect(await env.container.audit.verifyChain(ctx)).toMatchObject({
      ok: true,
      eventsChecked: 1 + backlog,
    });
  });

  it('an exception inside the chaining transaction rolls the whole batch back', async () => {
    const { tenant, ctx } = await createTestTenant(env);
    await env.container.auditChainer.chainPending(tenant.id);
    await insertBacklog(tenant.id, 10);
    const db = env.container.db;
    // Fails after the batch was written, just before commit.
    const crashingDb: Db = {
      ...db,
      withTenant: (c, fn) =>
        db.withTenant(c, async (tx) => {
          await fn(tx);
          throw new Error('chainer crashed before commit');
        }),
    };
    const crashing = createAuditChainer({ db: crashingDb, logger: env.container.logger, batchSize: 50 });
    await expect(crashing.chainPending(tenant.id)).rejects.toThrow('chainer crashed before commit');
    expect(await chainShape(tenant.id)).toMatchObject({ events: 11, chained: 1 });
    await env.container.auditChainer.chainPending(tenant.id);
    expectCompleteChain(await chainShape(tenant.id), 11);
    expect(await env.container.audit.verifyChain(ctx)).toMatchObject({ ok: true });
  });

  it('protects unchained events: no UPDATE of their content and no DELETE, for the runtime role and the superuser alike', async () => {
    const { tenant, ctx } = await createTestTenant(env);
    await env.container.auditChainer.chainPending(tenant.id);
    await record(ctx, 1);
    const { rows } = await env.adminQuery(
      'SELECT id, seq IS NULL AS unchained FROM audit_events WHERE tenant_id = $1 ORDER BY ingest_id',
      [tenant.id],
    );
    const [chained, unchained] = rows as { id: string; unchained: boolean }[];
    expect([chained?.unchained, unchained?.unchained]).toEqual([false, true]);
    const link = `seq = 2, prev_hash = repeat('a', 64), hash = repeat('b', 64), chained_at = now()`;

    const runtime = await env.runtimeClient();
    await runtime.query(`SELECT set_config('app.tenant_id', $1, false)`, [tenant.id]);
    const asRuntime = (sql: string) => runtime.query(sql, [unchained!.id]);
    await expect(asRuntime(`UPDATE audit_events SET payload = '{"i": 2}' WHERE id = $1`)).rejects.toThrow(
      /permission denied/,
    );
    await expect(asRuntime(`UPDATE audit_events SET action = 'x.y' WHERE id = $1`)).rejects.toThrow(
      /permission denied/,
    );
    await expect(asRuntime('DELETE FROM audit_events WHERE id = $1')).rejects.toThrow(/permission denied/);
    await expect(
      runtime.query(`INSERT INTO audit_events (tenant_id, occurred_at, actor_kind, actor_id, action, seq)
                     VALUES ('${tenant.id}', now(), 'system', 'x', 'document.viewed', 9)`),
    ).rejects.toThrow(/permission denied/);
    // Chain columns only, but not all of them, or on an event that is already chained.
    await expect(asRuntime(`UPDATE audit_events SET seq = 2 WHERE id = $1`)).rejects.toThrow(/append-only/);
    await expect(
      runtime.query(`UPDATE audit_events SET ${link} WHERE id = $1`, [chained!.id]),
    ).rejects.toThrow(/append-only/);

    const asAdmin = (sql: string) => env.adminQuery(sql, [unchained!.id]);
    await expect(asAdmin(`UPDATE audit_events SET payload = '{"i": 2}' WHERE id = $1`)).rejects.toThrow(
      /append-only/,
    );
    await expect(asAdmin(`UPDATE audit_events SET ${link}, actor_id = 'x' WHERE id = $1`)).rejects.toThrow(
      /append-only/,
    );
    await expect(asAdmin(`UPDATE audit_events SET ingest_id = 1 WHERE id = $1`)).rejects.toThrow(
      /append-only/,
    );
    await expect(asAdmin('DELETE FROM audit_events WHERE id = $1')).rejects.toThrow(/append-only/);
    await expect(
      env.adminQuery(`UPDATE audit_events SET ${link} WHERE id = $1`, [chained!.id]),
    ).rejects.toThrow(/append-only/);

    expect(await env.container.auditChainer.chainPending(tenant.id)).toMatchObject({ chained: 1 });
    expect(await env.container.audit.verifyChain(ctx)).toMatchObject({ ok: true, eventsChecked: 2 });
  });

  it('never lets a checkpoint cover an unchained event, and verify reports the backlog', async () => {
    const { tenant, ctx } = await createTestTenant(env);
    await record(ctx, 1);
    await env.container.auditChainer.chainPending(tenant.id);
    const before = new Date();
    for (let i = 2; i <= 4; i++) await record(ctx, i);
    const checkpoint = await env.container.audit.createCheckpoint(ctx);
    expect(checkpoint?.seq).toBe('2');
    const report = await env.container.audit.verifyChain(ctx);
    expect(report).toMatchObject({ ok: true, eventsChecked: 2, head: { seq: '2' }, unchained: { count: 3 } });
    expect(report.unchained.oldestOccurredAt!.getTime()).toBeGreaterThanOrEqual(before.getTime() - 1);
    await env.container.auditChainer.chainPending(tenant.id);
    expect(await env.container.audit.createCheckpoint(ctx)).toMatchObject({ seq: '5' });
    expect(await env.container.audit.verifyChain(ctx)).toMatchObject({
      ok: true,
      checkpointsChecked: 2,
      unchained: { count: 0 },
    });
  });

  it('finds every tenant with a backlog without a tenant context, and chains each one', async () => {
    const a = await createTestTenant(env);
    const b = await createTestTenant(env);
    await record(a.ctx, 1);
    await record(b.ctx, 1);
    const pass = await env.container.auditChainer.chainAllPending();
    expect(pass.tenants).toBeGreaterThanOrEqual(2);
    for (const { tenant } of [a, b]) expectCompleteChain(await chainShape(tenant.id), 2);
    expect((await env.container.auditChainer.chainAllPending()).chained).toBe(0);
  });

  it('the worker loop chains events shortly after commit and stops when asked', async () => {
    const { tenant, ctx } = await createTestTenant(env);
    const loop = startAuditChainLoop(env.container.auditChainer, {
      intervalMs: 20,
      logger: env.container.logger,
    });
    try {
      await record(ctx, 1);
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && (await chainShape(tenant.id)).chained < 2) await sleep(20);
      expectCompleteChain(await chainShape(tenant.id), 2);
    } finally {
      await loop.stop();
    }
    await record(ctx, 2);
    await sleep(200);
    expect(await chainShape(tenant.id)).toMatchObject({ events: 3, chained: 2 });
  });

  it('a stopping worker chains what its last jobs recorded before it exits', async () => {
    const { tenant, ctx } = await createTestTenant(env);
    // An interval far longer than the test: only the final pass of stop() can chain these.
    const loop = startAuditChainLoop(env.container.auditChainer, {
      intervalMs: 600_000,
      logger: env.container.logger,
    });
    const deadline = Date.now() + 10_000; // the first pass chains tenant.created
    while (Date.now() < deadline && (await chainShape(tenant.id)).chained < 1) await sleep(20);
    await record(ctx, 1);
    await record(ctx, 2);
    expect(await chainShape(tenant.id)).toMatchObject({ events: 3, chained: 1 });
    await loop.stop();
    expectCompleteChain(await chainShape(tenant.id), 3);
  });
});
