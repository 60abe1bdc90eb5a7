/**
 * Scheduled audit checkpoints: the worker signs every tenant's grown chain by itself, so deleting
 * the newest events (after what used to be the last, hand-made checkpoint) no longer goes unnoticed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import type { RequestContext } from '../../src/core/request-context.js';
import { startWorkers, type RunningWorkers } from '../../src/workers/start-workers.js';
import { createTestTenant } from '../helpers/tenants.js';
import { useTestEnv } from '../helpers/test-env.js';

const env = useTestEnv({ app: false, env: { AUDIT_CHECKPOINT_INTERVAL_MS: '1000' } });
let workers: RunningWorkers | undefined;
afterAll(async () => workers?.close());

async function recordEvents(ctx: RequestContext, count: number): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    await env.container.db.withTenant(ctx, (tx) =>
      env.container.audit.record(tx, ctx, { action: 'document.viewed', payload: { i } }),
    );
  }
}

/** The highest checkpointed seq of the tenant, once it reaches `seq` (polls up to `timeoutMs`). */
async function checkpointReaching(tenantId: string, seq: number, timeoutMs = 20_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await env.adminQuery(
      'SELECT coalesce(max(seq), 0)::int AS seq FROM audit_checkpoints WHERE tenant_id = $1',
      [tenantId],
    );
    if (rows[0].seq >= seq || Date.now() > deadline) return rows[0].seq;
    await sleep(200);
  }
}

describe('scheduled audit checkpoints', () => {
  it('checkpoints a tenant with new chained events without a CLI call, so deleting a covered newest event is detected by verify', async () => {
    workers = await startWorkers(env.container);
    const { tenant, ctx } = await createTestTenant(env);
    await recordEvents(ctx, 3);
    const { rows: chained } = await env.adminQuery(
      'SELECT count(*)::int AS events FROM audit_events WHERE tenant_id = $1',
      [tenant.id],
    );
    const events = chained[0].events as number;
    expect(await checkpointReaching(tenant.id, events)).toBe(events);
    expect((await env.container.audit.verifyChain(ctx)).ok).toBe(true);

    // A rogue superuser deletes the newest event: the chain that is left still links.
    await env.adminQuery(
      `BEGIN; SET LOCAL session_replication_role = replica;
       DELETE FROM audit_events WHERE tenant_id = '${tenant.id}' AND seq = ${events}; COMMIT;`,
    );
    const report = await env.container.audit.verifyChain(ctx);
    expect(report.ok).toBe(false);
    expect(report.problems).toContainEqual(
      expect.objectContaining({ seq: String(events), reason: 'checkpoint_beyond_chain' }),
    );
  });
});
