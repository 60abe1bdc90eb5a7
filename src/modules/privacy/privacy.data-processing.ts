/**
 * The firm's record of processing (GDPR art. 30(2): what a processor must be able to tell its
 * controller): where its data lives, who processes it for us, how long documents, the trash and
 * backups keep it, how it is protected, and whether the firm lets its data improve extraction.
 * Everything comes from the tenant row, its retention policy and configuration: nothing here is
 * a promise the code does not keep.
 */
import type { RequestContext } from '../../core/request-context.js';
import { NotFoundError } from '../../core/errors.js';
import type { Db } from '../../platform/db/db.js';
import type { RetentionPolicyService } from '../documents/documents.retention-policy.js';
import type { RetentionRules } from '../documents/retention.js';
import type { TenantsService } from '../tenants/tenants.service.js';

export interface SubProcessor {
  readonly name: string;
  readonly purpose: string;
  readonly location: string;
}

export interface DataProcessingRecord {
  readonly tenantId: string;
  readonly status: string;
  readonly region: string;
  readonly subProcessors: SubProcessor[];
  readonly retention: RetentionRules & {
    readonly trashDays: number;
    readonly backupDays: number;
    readonly offboardingGraceDays: number;
  };
  readonly encryption: {
    readonly documents: string;
    readonly keyManagement: string;
  };
  readonly trainingConsent: { readonly allowed: boolean; readonly changedAt: Date | null };
}

export interface DataProcessingService {
  getRecord(ctx: RequestContext): Promise<DataProcessingRecord>;
}

export function createDataProcessingService(deps: {
  db: Db;
  tenants: TenantsService;
  retentionPolicy: RetentionPolicyService;
  settings: {
    subProcessors: readonly SubProcessor[];
    trashRetentionDays: number;
    backupRetentionDays: number;
    offboardingGraceDays: number;
    kmsProvider: 'local' | 'azure-key-vault';
  };
}): DataProcessingService {
  const { settings } = deps;
  return {
    async getRecord(ctx) {
      const tenant = await deps.db.withTenant(ctx, (tx) => deps.tenants.findTenant(tx, ctx.tenantId));
      if (!tenant) throw new NotFoundError('The tenant does not exist.');
      const rules = await deps.retentionPolicy.getPolicy(ctx);
      return {
        tenantId: tenant.id,
        status: tenant.status,
        region: tenant.region,
        subProcessors: [...settings.subProcessors],
        retention: {
          ...rules,
          trashDays: settings.trashRetentionDays,
          backupDays: settings.backupRetentionDays,
          offboardingGraceDays: settings.offboardingGraceDays,
        },
        encryption: {
          documents: 'AES-256-GCM per document (its own data key), wrapped by the firm\u2019s key',
          keyManagement:
            settings.kmsProvider === 'azure-key-vault'
              ? 'Azure Key Vault, one key-encryption key per firm (destroyed when the firm is closed)'
              : 'local key provider (development only), one key-encryption key per firm',
        },
        trainingConsent: { allowed: tenant.trainingConsent, changedAt: tenant.trainingConsentChangedAt },
      };
    },
  };
}
