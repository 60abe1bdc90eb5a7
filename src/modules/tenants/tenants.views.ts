/** The public shape of a tenant: every column but its key-encryption key's reference. */
import type { TenantRow } from './tenants.repo.js';
import type { TenantStatus } from './tenants.status.js';

export interface TenantView {
  readonly id: string;
  readonly name: string;
  readonly region: string;
  readonly status: TenantStatus;
  readonly requireMfa: boolean;
  readonly createdAt: Date;
  readonly trainingConsent: boolean;
  readonly trainingConsentChangedAt: Date | null;
  readonly statusChangedAt: Date | null;
  readonly statusReason: string | null;
  readonly offboardingRequestedAt: Date | null;
  readonly purgeAfter: Date | null;
}

export function tenantView(row: TenantRow): TenantView {
  return {
    id: row.id,
    name: row.name,
    region: row.region,
    // The column's CHECK constraint admits exactly these values.
    status: row.status as TenantStatus,
    requireMfa: row.requireMfa,
    createdAt: row.createdAt,
    trainingConsent: row.trainingConsent,
    trainingConsentChangedAt: row.trainingConsentChangedAt,
    statusChangedAt: row.statusChangedAt,
    statusReason: row.statusReason,
    offboardingRequestedAt: row.offboardingRequestedAt,
    purgeAfter: row.purgeAfter,
  };
}
