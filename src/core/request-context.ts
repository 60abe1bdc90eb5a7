import { PERMISSIONS, type Permission } from './permissions.js';

/** Who is acting: a person, an integration token, the platform itself (CLI), or a background worker. */
export type ActorKind = 'user' | 'token' | 'system' | 'worker';

export interface Actor {
  readonly kind: ActorKind;
  /** User id, token id, or a stable name for system/worker actors (e.g. `cli`, `worker:extraction`). */
  readonly id: string;
}

/**
 * Everything a service needs to know about the caller. It is the first argument of every service
 * method; `tenantId` is never optional, so no service call can forget whose data it works on.
 */
export interface RequestContext {
  readonly tenantId: string;
  readonly actor: Actor;
  readonly permissions: ReadonlySet<Permission>;
  /**
   * Set for integration tokens limited to some of the firm's companies: the caller sees only
   * those companies and their documents. Undefined means no company restriction.
   */
  readonly companyIds?: ReadonlySet<string> | undefined;
  readonly requestId?: string | undefined;
  readonly ip?: string | undefined;
  readonly userAgent?: string | undefined;
}

/** The companies the caller is limited to, as the repositories' filters take them; undefined for no limit. */
export function allowedCompanyIds(ctx: RequestContext): string[] | undefined {
  return ctx.companyIds ? [...ctx.companyIds] : undefined;
}

/**
 * A context for work the platform does on a tenant's behalf (CLI commands, workers). It holds
 * every permission because the code path, not a principal, decides what happens.
 */
export function systemContext(
  tenantId: string,
  actor: Actor = { kind: 'system', id: 'cli' },
): RequestContext {
  return { tenantId, actor, permissions: new Set(PERMISSIONS) };
}
