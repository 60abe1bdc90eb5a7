/**
 * docs/permissions.md is generated from the code (`npm run docs:permissions`): this fails when a
 * route, its permission or a role changed and the committed matrix was not regenerated.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PERMISSIONS_DOC, renderPermissionsDoc } from '../../scripts/permissions-matrix.js';
import { useTestEnv } from '../helpers/test-env.js';

const env = useTestEnv();

describe('docs/permissions.md', () => {
  it('is what npm run docs:permissions generates from the running app (run it after changing routes or roles)', async () => {
    const res = await env.app.inject({ url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    const fresh = await renderPermissionsDoc(res.json());
    expect(readFileSync(PERMISSIONS_DOC, 'utf8')).toBe(fresh);
    // The matrix is not vacuous: the ERP scope and a people-only operation are in it.
    expect(fresh).toMatch(
      /`POST \/v1\/extractions\/\{id\}\/ack` +\| `extractions:export` +\| owner, admin, accountant +\|/,
    );
    expect(fresh).toMatch(/`POST \/v1\/tokens` +\| `tokens:manage` .*no \(people only\)/);
  });
});
