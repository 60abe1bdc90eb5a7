/**
 * Events about a person rather than about one firm (password reset, email verification): each
 * firm's audit log is its own hash chain, so the event is recorded in every firm they belong to.
 */
import type { RequestContext } from '../../core/request-context.js';
import type { Db } from '../../platform/db/db.js';
import type { AuditService } from '../audit/audit.service.js';
import * as repo from './auth.repo.js';
import type { ClientInfo } from './client-info.js';

export async function recordInEveryTenant(
  deps: { db: Db; audit: AuditService },
  client: ClientInfo,
  userId: string,
  event: { action: string; payload?: Record<string, unknown> },
): Promise<void> {
  const memberships = await deps.db.withScope({ userId }, (tx) => repo.listMembershipsOfUser(tx, userId));
  for (const m of memberships) {
    const ctx: RequestContext = {
      tenantId: m.tenantId,
      actor: { kind: 'user', id: userId },
      permissions: new Set(),
      ...client,
    };
    await deps.db.withTenant(ctx, (tx) =>
      deps.audit.record(tx, ctx, {
        action: event.action,
        target: { type: 'user', id: userId },
        payload: event.payload ?? {},
      }),
    );
  }
}
