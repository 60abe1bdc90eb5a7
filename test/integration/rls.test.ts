import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createTestTenant } from '../helpers/tenants.js';
import { useTestEnv } from '../helpers/test-env.js';

const env = useTestEnv({ app: false });

/** Runs fn in a transaction of a raw runtime-role connection with app.tenant_id set (or not). */
async function asRuntime<T>(
  tenantId: string | null,
  fn: (q: (sql: string, p?: unknown[]) => Promise<{ rows: any[]; rowCount: number | null }>) => Promise<T>,
): Promise<T> {
  const client = await env.runtimeClient();
  await client.query('BEGIN');
  try {
    if (tenantId) await client.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenantId]);
    return await fn((sql, p) => client.query(sql, p));
  } finally {
    await client.query('ROLLBACK');
  }
}

describe('tenant isolation by row-level security', () => {
  it('connects the runtime as a role that is neither owner, superuser nor able to bypass RLS', async () => {
    const client = await env.runtimeClient();
    const { rows } = await client.query(
      `SELECT current_user AS name, r.rolsuper, r.rolbypassrls,
              (SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user)::int AS owned
         FROM pg_roles r WHERE r.rolname = current_user`,
    );
    expect(rows[0]).toEqual({ name: 'doklad_app', rolsuper: false, rolbypassrls: false, owned: 0 });
  });

  it('enables and forces RLS on every table that has a tenant_id column, and on tenants and users', async () => {
    const { rows } = await env.adminQuery<{
      relname: string;
      relrowsecurity: boolean;
      relforcerowsecurity: boolean;
    }>(
      `SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r'
          AND (c.relname IN ('tenants', 'users')
               OR EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id'))`,
    );
    expect(rows.map((r) => r.relname).sort()).toEqual(
      expect.arrayContaining(['audit_checkpoints', 'audit_events', 'memberships', 'tenants', 'users']),
    );
    for (const row of rows)
      expect(row, row.relname).toMatchObject({ relrowsecurity: true, relforcerowsecurity: true });
  });

  it('shows the runtime role no rows at all without a tenant context', async () => {
    await createTestTenant(env);
    const counts = await asRuntime(null, async (q) => {
      const tables = ['tenants', 'users', 'memberships', 'audit_events', 'audit_checkpoints'];
      const result: number[] = [];
      for (const t of tables) result.push((await q(`SELECT count(*)::int AS n FROM ${t}`)).rows[0].n);
      return result;
    });
    expect(counts).toEqual([0, 0, 0, 0, 0]);
    const { rows } = await env.adminQuery('SELECT count(*)::int AS n FROM audit_events');
    expect(rows[0].n).toBeGreaterThan(0);
  });

  it("cannot read, change or add tenant B's rows from tenant A's context, even with raw SQL", async () => {
    const a = await createTestTenant(env, 'Firm A');
    const b = await createTestTenant(env, 'Firm B');
    await asRuntime(a.tenant.id, async (q) => {
      expect((await q('SELECT id FROM tenants')).rows).toEqual([{ id: a.tenant.id }]);
      expect((await q('SELECT * FROM tenants WHERE id = $1', [b.tenant.id])).rows).toEqual([]);
      expect((await q('SELECT * FROM audit_events WHERE tenant_id = $1', [b.tenant.id])).rows).toEqual([]);
      expect((await q(`UPDATE tenants SET name = 'pwned' WHERE id = $1`, [b.tenant.id])).rowCount).toBe(0);
      await expect(
        q(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'owner')`, [
          b.tenant.id,
          randomUUID(),
        ]),
      ).rejects.toThrow(/row-level security/);
    });
    const { rows } = await env.adminQuery('SELECT name FROM tenants WHERE id = $1', [b.tenant.id]);
    expect(rows[0].name).toBe('Firm B');
  });

  it("keeps Prisma queries inside withTenant to the context's tenant", async () => {
    const a = await createTestTenant(env);
    const b = await createTestTenant(env);
    const seen = await env.container.db.withTenant(a.ctx, (tx) =>
      tx.tenant.findMany({ select: { id: true } }),
    );
    expect(seen).toEqual([{ id: a.tenant.id }]);
    const other = await env.container.db.withTenant(a.ctx, (tx) =>
      tx.auditEvent.findMany({ where: { tenantId: b.tenant.id } }),
    );
    expect(other).toEqual([]);
  });

  it('does not leak a tenant context from one transaction to the next on a pooled connection', async () => {
    const a = await createTestTenant(env);
    await env.container.db.withTenant(a.ctx, (tx) => tx.tenant.findMany());
    const leaked = await env.container.db.prisma.tenant.findMany();
    expect(leaked).toEqual([]);
  });

  it('scopes plain-SQL reads (db.read) to the tenant like every other transaction, read-only', async () => {
    const a = await createTestTenant(env);
    const b = await createTestTenant(env);
    // No tenant condition in the query: row-level security alone decides what is visible.
    const seen = await env.container.db.read(a.ctx, (sql) =>
      sql.query<{ id: string }>('SELECT id FROM tenants'),
    );
    expect(seen.map((r) => r.id)).toEqual([a.tenant.id]);
    await expect(
      env.container.db.read(a.ctx, (sql) =>
        sql.query('UPDATE tenants SET name = $1 WHERE id = $2', ['taken over', b.tenant.id]),
      ),
    ).rejects.toThrow(/read-only transaction/);
    await expect(
      env.container.db.read(
        { tenantId: "x'; SELECT 1; --", actor: { kind: 'system', id: 'test' } },
        async () => 1,
      ),
    ).rejects.toThrow(/UUID/);
    // The pooled connection forgot the scope when the read ended.
    expect(await env.container.db.prisma.tenant.findMany()).toEqual([]);
  });
});
