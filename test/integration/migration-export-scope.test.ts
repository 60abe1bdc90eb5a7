/**
 * Migration 20261202010000: acknowledging exports moved from `extractions:write` to
 * `extractions:export`, so live tokens that held write get export too (running ERP agents keep
 * working), each grant audited; read-only and revoked tokens are left as they were.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { applyMigrations } from '../../src/platform/db/migrations.js';
import { migrationsDir } from '../../src/platform/package-root.js';
import { databaseUrl } from '../helpers/database-urls.js';

const MIGRATION = '20261202010000_extractions_export_scope';
const services = inject('services');
const name = `doklad_t_${services.runId}_xs${Math.random().toString(36).slice(2, 6)}`;
const url = databaseUrl(services.adminDatabaseUrl, name);

async function query<T extends pg.QueryResultRow = any>(target: string, sql: string, params?: unknown[]) {
  const client = new pg.Client({ connectionString: target });
  await client.connect();
  try {
    return await client.query<T>(sql, params);
  } finally {
    await client.end();
  }
}

afterAll(async () => {
  await query(services.adminDatabaseUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
});

describe(`migration ${MIGRATION}`, () => {
  it('gives live tokens holding extractions:write extractions:export too, audited, and leaves the rest alone', async () => {
    await query(services.adminDatabaseUrl, `CREATE DATABASE "${name}"`);
    const before = await mkdtemp(path.join(tmpdir(), 'doklad-migrations-'));
    try {
      await cp(migrationsDir(), before, {
        recursive: true,
        filter: (source) => !source.includes(MIGRATION),
      });
      await applyMigrations(url, before);
    } finally {
      await rm(before, { recursive: true, force: true });
    }

    const tenant = (
      await query(url, `INSERT INTO tenants (name, region) VALUES ('Firm', 'eu-west') RETURNING id`)
    ).rows[0].id;
    const user = (
      await query(
        url,
        `INSERT INTO users (email, name, password_hash) VALUES ('o@example.test', 'O', 'x') RETURNING id`,
      )
    ).rows[0].id;
    const token = async (label: string, scopes: string[], revoked = false) =>
      (
        await query(
          url,
          `INSERT INTO api_tokens (tenant_id, name, prefix, token_hash, scopes, created_by, revoked_at)
           VALUES ($1, $2::text, 'dk_x', encode(sha256(convert_to($2::text, 'UTF8')), 'hex'), $3, $4, $5) RETURNING id`,
          [tenant, label, scopes, user, revoked ? new Date() : null],
        )
      ).rows[0].id as string;
    const writer = await token('writer', ['extractions:read', 'extractions:write']);
    const reader = await token('reader', ['extractions:read']);
    const revoked = await token('revoked', ['extractions:write'], true);

    const report = await applyMigrations(url, migrationsDir());
    expect(report.applied).toEqual([MIGRATION]);

    const scopes = async (id: string) =>
      (await query(url, 'SELECT scopes FROM api_tokens WHERE id = $1', [id])).rows[0].scopes;
    expect(await scopes(writer)).toEqual(['extractions:read', 'extractions:write', 'extractions:export']);
    expect(await scopes(reader)).toEqual(['extractions:read']);
    expect(await scopes(revoked)).toEqual(['extractions:write']);

    const { rows } = await query(
      url,
      `SELECT tenant_id, actor_kind, target_type, target_id, payload, seq FROM audit_events
        WHERE action = 'token.scopes_extended'`,
    );
    expect(rows).toEqual([
      {
        tenant_id: tenant,
        actor_kind: 'system',
        target_type: 'token',
        target_id: writer,
        payload: expect.objectContaining({ added: ['extractions:export'] }),
        // Unchained like every new event: the chainer links it.
        seq: null,
      },
    ]);
  });
});
