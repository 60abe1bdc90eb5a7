/** Queries of supplier profiles and of the documents' text layers they learn from. */
import type { Prisma } from '../../platform/db/prisma.js';
import type { Tx } from '../../platform/db/db.js';
import { keysetPage, type CursorPosition } from '../cursor.js';

export interface SupplierProfileRow {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string | null;
  readonly vatId: string | null;
  readonly companyId: string | null;
  readonly iban: string | null;
  readonly nameKey: string | null;
  readonly vatKey: string | null;
  readonly companyKey: string | null;
  readonly ibanKey: string | null;
  readonly hints: unknown;
  readonly constants: unknown;
  readonly corrections: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface ProfileData {
  readonly name: string | null;
  readonly vatId: string | null;
  readonly companyId: string | null;
  readonly iban: string | null;
  readonly nameKey: string | null;
  readonly vatKey: string | null;
  readonly companyKey: string | null;
  readonly ibanKey: string | null;
  readonly hints: readonly object[];
  readonly constants: Readonly<Record<string, string>>;
}

export interface IdentityKeys {
  readonly vatKey: string;
  readonly companyKey: string;
  readonly ibanKey: string;
  readonly nameKey: string;
}

/** Serialises learning within a tenant: two corrections of a new supplier make one profile. */
export async function lockProfiles(tx: Tx, tenantId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('supplier_profiles:' || ${tenantId}))`;
}

/** Profiles sharing any identity key with the document (a handful at most). */
export async function findByIdentity(
  tx: Tx,
  tenantId: string,
  keys: IdentityKeys,
): Promise<SupplierProfileRow[]> {
  const or: Prisma.SupplierProfileWhereInput[] = [];
  if (keys.vatKey) or.push({ vatKey: keys.vatKey });
  if (keys.companyKey) or.push({ companyKey: keys.companyKey });
  if (keys.ibanKey) or.push({ ibanKey: keys.ibanKey });
  if (keys.nameKey) or.push({ nameKey: keys.nameKey });
  if (or.length === 0) return [];
  return tx.supplierProfile.findMany({
    where: { tenantId, OR: or },
    orderBy: { createdAt: 'asc' },
    take: 20,
  });
}

export async function insertProfile(
  tx: Tx,
  tenantId: string,
  data: ProfileData,
  corrections: number,
): Promise<SupplierProfileRow> {
  return tx.supplierProfile.create({
    data: {
      tenantId,
      ...data,
      hints: data.hints as Prisma.InputJsonValue,
      constants: data.constants as Prisma.InputJsonValue,
      corrections,
    },
  });
}

export async function updateProfile(
  tx: Tx,
  tenantId: string,
  id: string,
  data: Partial<ProfileData>,
  addCorrections = 0,
): Promise<SupplierProfileRow> {
  const { hints, constants, ...rest } = data;
  await tx.supplierProfile.updateMany({
    where: { tenantId, id },
    data: {
      ...rest,
      ...(hints ? { hints: hints as Prisma.InputJsonValue } : {}),
      ...(constants ? { constants: constants as Prisma.InputJsonValue } : {}),
      ...(addCorrections ? { corrections: { increment: addCorrections } } : {}),
    },
  });
  return tx.supplierProfile.findFirstOrThrow({ where: { tenantId, id } });
}

export async function findProfile(tx: Tx, tenantId: string, id: string): Promise<SupplierProfileRow | null> {
  return tx.supplierProfile.findFirst({ where: { tenantId, id } });
}

export async function deleteProfile(tx: Tx, tenantId: string, id: string): Promise<number> {
  return (await tx.supplierProfile.deleteMany({ where: { tenantId, id } })).count;
}

export async function listProfiles(
  tx: Tx,
  tenantId: string,
  limit: number,
  after?: CursorPosition,
): Promise<SupplierProfileRow[]> {
  const keyset = keysetPage('createdAt', 'asc', after);
  return tx.supplierProfile.findMany({
    where: { tenantId, ...keyset.where },
    orderBy: keyset.orderBy,
    take: limit,
  });
}

/** Changes whenever a profile is added, changed or deleted: the engine input's cache key. */
export async function profilesFingerprint(tx: Tx, tenantId: string): Promise<string> {
  const rows = await tx.$queryRaw<{ n: bigint; last: Date | null }[]>`
    SELECT count(*) AS n, max(updated_at) AS last FROM supplier_profiles WHERE tenant_id = ${tenantId}::uuid`;
  const row = rows[0];
  return `${row?.n ?? 0}:${row?.last?.toISOString() ?? ''}`;
}

export async function saveTextLayer(
  tx: Tx,
  tenantId: string,
  documentId: string,
  runId: string | null,
  layer: object | null,
): Promise<void> {
  if (!layer) {
    await tx.documentTextLayer.deleteMany({ where: { tenantId, documentId } });
    return;
  }
  const value = layer as Prisma.InputJsonValue;
  await tx.documentTextLayer.upsert({
    where: { documentId },
    create: { tenantId, documentId, runId, layer: value },
    update: { runId, layer: value, createdAt: new Date() },
  });
}

export async function findTextLayer(tx: Tx, tenantId: string, documentId: string): Promise<unknown> {
  const row = await tx.documentTextLayer.findFirst({ where: { tenantId, documentId } });
  return row?.layer ?? null;
}

/** The stored hints of a tenant's profiles, for the label gathering (nothing else of a profile). */
export async function listHints(tx: Tx, tenantId: string, limit: number): Promise<unknown[]> {
  const rows = await tx.supplierProfile.findMany({
    where: { tenantId },
    select: { hints: true },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    take: limit,
  });
  return rows.map((row) => row.hints);
}

export interface SharedLabelRow {
  readonly field: string;
  readonly label: string;
  readonly firms: number;
}

/** The published label variants (a table without tenant data, readable by every role). */
export async function readSharedLabels(tx: Tx, limit: number): Promise<SharedLabelRow[]> {
  return tx.sharedLabelVariant.findMany({
    select: { field: true, label: true, firms: true },
    orderBy: [{ firms: 'desc' }, { field: 'asc' }, { label: 'asc' }],
    take: limit,
  });
}

/**
 * Replaces the published label variants (only a `systemScan` transaction may). Gatherings run one
 * at a time (two workers, or the job and the command line): the second waits, then replaces.
 */
export async function replaceSharedLabels(tx: Tx, rows: readonly SharedLabelRow[]): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('shared_label_variants'))`;
  await tx.sharedLabelVariant.deleteMany({});
  if (rows.length > 0) await tx.sharedLabelVariant.createMany({ data: [...rows] });
}
