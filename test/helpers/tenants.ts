import { systemContext, type RequestContext } from '../../src/core/request-context.js';
import type { TenantView } from '../../src/modules/tenants/tenants.views.js';
import type { TestEnv } from './test-env.js';

/** Creates a tenant through the service and returns it with a system context for it. */
export async function createTestTenant(
  env: TestEnv,
  name = `Test firm ${Math.random().toString(36).slice(2, 8)}`,
): Promise<{ tenant: TenantView; ctx: RequestContext }> {
  const tenant = await env.container.tenants.createTenant(
    { actor: { kind: 'system', id: 'test' } },
    { name },
  );
  return { tenant, ctx: systemContext(tenant.id, { kind: 'system', id: 'test' }) };
}
