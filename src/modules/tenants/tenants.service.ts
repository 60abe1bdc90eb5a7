/** Creating and reading tenants (accounting firms). */
import { randomUUID } from 'node:crypto';
import { NotFoundError, ValidationFailedError } from '../../core/errors.js';
import { systemContext, type Actor, type RequestContext } from '../../core/request-context.js';
import type { Db, Tx } from '../../platform/db/db.js';
import type { KeyProvider } from '../../platform/kms/key-provider.js';
import type { AuditService } from '../audit/audit.service.js';
import * as repo from './tenants.repo.js';
import type { TenantRow } from './tenants.repo.js';
import { moveTenantStatus, type StatusChange } from './tenants.status.js';
import { tenantView, type TenantView } from './tenants.views.js';

export type { TenantView } from './tenants.views.js';

// The tenant as this service returns it; other modules name it from here, never from the repo.
export type { TenantRow };

export interface CreateTenantInput {
  readonly name: string;
  readonly region?: string | undefined;
}

/** Who asks for a new tenant; there is no tenant context yet, the service makes one. */
export interface TenantCreator {
  readonly actor: Actor;
  readonly requestId?: string;
  readonly ip?: string;
  readonly userAgent?: string;
}

export interface TenantsService {
  /**
   * Creates a tenant. `within`, when given, runs in the same transaction with the new tenant's
   * context (e.g. sign-up adds the owner), and its result is returned instead of the tenant.
   */
  createTenant(creator: TenantCreator, input: CreateTenantInput): Promise<TenantView>;
  createTenant<T>(
    creator: TenantCreator,
    input: CreateTenantInput,
    within: (tx: Tx, ctx: RequestContext, tenant: TenantRow) => Promise<T>,
  ): Promise<T>;
  getTenant(ctx: RequestContext): Promise<TenantView>;
  /** The tenant inside a transaction already scoped to it; null when it does not exist. */
  findTenant(tx: Tx, tenantId: string): Promise<TenantRow | null>;
  updateTenant(
    ctx: RequestContext,
    changes: { name?: string | undefined; requireMfa?: boolean | undefined },
  ): Promise<TenantView>;
  /**
   * The tenant's KEK reference and region, creating the KEK for tenants made before keys existed.
   * Both are fixed once set (nothing changes a tenant's region or KEK reference), so the answer is
   * remembered per process: every upload and download asks, and a transaction each time cost ~2 ms.
   */
  tenantKey(ctx: RequestContext): Promise<{ kekRef: string; region: string }>;
  /** Ids of all active tenants, for background sweeps that then work tenant by tenant. */
  listActiveTenantIds(): Promise<string[]>;
  /** Up to `count` active tenants at random (readiness samples them instead of walking all). */
  sampleActiveTenantIds(count: number): Promise<string[]>;
  /** Ids of every tenant whatever its status (audit checkpoints cover suspended tenants too). */
  listAllTenantIds(): Promise<string[]>;
  /** Offboarding tenants whose grace period ended by `now` (the purge job's work list). */
  listOffboardingDue(now: Date): Promise<string[]>;
  /** Moves the tenant's status inside the caller's transaction (tenants.status.ts has the rules). */
  moveStatus(tx: Tx, ctx: RequestContext, change: StatusChange): Promise<TenantRow>;
  /** After the erasure receipt is issued: the purge job has nothing left to do for the tenant. */
  markPurgeFinished(tx: Tx, tenantId: string): Promise<void>;
  /** Platform administrators only (CLI): blocks every session and token of the firm at once. */
  suspendTenant(ctx: RequestContext, reason: string): Promise<TenantView>;
  unsuspendTenant(ctx: RequestContext): Promise<TenantView>;
  /** Whether the firm lets its documents and corrections improve extraction beyond itself. */
  setTrainingConsent(ctx: RequestContext, allowed: boolean): Promise<TenantView>;
  /**
   * For the extraction learning code: true only when the firm said yes. Inside the caller's
   * transaction for the tenant, so a learning job reads it in the same snapshot as the data.
   */
  isTrainingConsentGiven(tx: Tx, tenantId: string): Promise<boolean>;
}

export function createTenantsService(deps: {
  db: Db;
  audit: AuditService;
  keyProvider: KeyProvider;
  regions: readonly string[];
  defaultRegion: string;
  clock?: () => Date;
}): TenantsService {
  const now = deps.clock ?? (() => new Date());
  const tenantKeys = new Map<string, { readonly kekRef: string; readonly region: string }>();
  return {
    async createTenant<T>(
      creator: TenantCreator,
      input: CreateTenantInput,
      within?: (tx: Tx, ctx: RequestContext, tenant: TenantRow) => Promise<T>,
    ): Promise<T | TenantView> {
      const name = input.name.normalize('NFC').trim();
      const region = input.region ?? deps.defaultRegion;
      if (name.length < 1 || name.length > 200) {
        throw new ValidationFailedError('Tenant name must be 1-200 characters.', [
          { field: 'name', message: 'must be 1-200 characters' },
        ]);
      }
      if (!deps.regions.includes(region)) {
        throw new ValidationFailedError(`Region "${region}" is not one of ${deps.regions.join(', ')}.`, [
          { field: 'region', message: `must be one of ${deps.regions.join(', ')}` },
        ]);
      }
      // The new tenant's own context: RLS admits the insert only for the tenant being created.
      const ctx: RequestContext = { ...systemContext(randomUUID(), creator.actor), ...creator };
      // Every tenant gets its own key-encryption key in the KMS before anything is stored for it.
      const { keyRef } = await deps.keyProvider.createTenantKey(ctx.tenantId);
      return deps.db.withTenant(ctx, async (tx) => {
        const tenant = await repo.insertTenant(tx, { id: ctx.tenantId, name, region, kekRef: keyRef });
        await deps.audit.record(tx, ctx, {
          action: 'tenant.created',
          target: { type: 'tenant', id: tenant.id },
          payload: { region },
        });
        return within ? within(tx, ctx, tenant) : tenantView(tenant);
      });
    },

    findTenant: (tx, tenantId) => repo.findTenant(tx, tenantId),

    async tenantKey(ctx) {
      const known = tenantKeys.get(ctx.tenantId);
      if (known) return known;
      const tenant = await deps.db.withTenant(ctx, (tx) => repo.findTenant(tx, ctx.tenantId));
      if (!tenant) throw new NotFoundError('The tenant does not exist.');
      let kekRef = tenant.kekRef;
      if (!kekRef) {
        const { keyRef } = await deps.keyProvider.createTenantKey(ctx.tenantId);
        kekRef = await deps.db.withTenant(ctx, (tx) => repo.setKekRefIfMissing(tx, ctx.tenantId, keyRef));
        // Another request created one first: ours was never used.
        if (kekRef !== keyRef) await deps.keyProvider.destroyTenantKey(keyRef);
      }
      const key = { kekRef, region: tenant.region };
      tenantKeys.set(ctx.tenantId, key);
      return key;
    },

    listActiveTenantIds: () => deps.db.withScope({ systemScan: true }, (tx) => repo.listActiveTenantIds(tx)),
    listAllTenantIds: () => deps.db.withScope({ systemScan: true }, (tx) => repo.listAllTenantIds(tx)),
    sampleActiveTenantIds: (count) =>
      deps.db.withScope({ systemScan: true }, (tx) => repo.sampleActiveTenantIds(tx, count)),

    listOffboardingDue: (at) =>
      deps.db.withScope({ systemScan: true }, (tx) => repo.listOffboardingDue(tx, at)),

    moveStatus: (tx, ctx, change) => moveTenantStatus(tx, ctx, deps.audit, change),

    markPurgeFinished: (tx, tenantId) => repo.clearPurgeAfter(tx, tenantId),

    suspendTenant: async (ctx, reason) =>
      tenantView(
        await deps.db.withTenant(ctx, (tx) =>
          moveTenantStatus(tx, ctx, deps.audit, { to: 'suspended', at: now(), reason }),
        ),
      ),

    unsuspendTenant: async (ctx) =>
      tenantView(
        await deps.db.withTenant(ctx, (tx) =>
          moveTenantStatus(tx, ctx, deps.audit, { to: 'active', at: now() }),
        ),
      ),

    async setTrainingConsent(ctx, allowed) {
      return deps.db.withTenant(ctx, async (tx) => {
        const before = await repo.findTenant(tx, ctx.tenantId);
        if (!before) throw new NotFoundError('The tenant does not exist.');
        if (before.trainingConsent === allowed) return tenantView(before);
        const updated = await repo.setTrainingConsent(tx, ctx.tenantId, allowed, now());
        await deps.audit.record(tx, ctx, {
          action: 'tenant.training_consent_changed',
          target: { type: 'tenant', id: ctx.tenantId },
          payload: { from: before.trainingConsent, to: allowed },
        });
        return tenantView(updated);
      });
    },

    async isTrainingConsentGiven(tx, tenantId) {
      const tenant = await repo.findTenant(tx, tenantId);
      return tenant?.status === 'active' && tenant.trainingConsent;
    },

    async updateTenant(ctx, changes) {
      return deps.db.withTenant(ctx, async (tx) => {
        const before = await repo.findTenant(tx, ctx.tenantId);
        if (!before) throw new NotFoundError('The tenant does not exist.');
        const name = changes.name?.normalize('NFC').trim();
        const updated = await repo.updateTenant(tx, ctx.tenantId, { name, requireMfa: changes.requireMfa });
        await deps.audit.record(tx, ctx, {
          action: 'tenant.updated',
          target: { type: 'tenant', id: ctx.tenantId },
          payload: {
            ...(name !== undefined && name !== before.name ? { nameChanged: true } : {}),
            ...(changes.requireMfa !== undefined ? { requireMfa: changes.requireMfa } : {}),
          },
        });
        return tenantView(updated);
      });
    },

    async getTenant(ctx) {
      const tenant = await deps.db.withTenant(ctx, (tx) => repo.findTenant(tx, ctx.tenantId));
      if (!tenant) throw new NotFoundError('The tenant does not exist.');
      return tenantView(tenant);
    },
  };
}
