/**
 * Supplier profiles: what the firm's corrections taught about each of its suppliers. A correction
 * (extractions.review.ts) calls `learnFromCorrection` in its own transaction: the supplier is
 * identified from the corrected result (VAT ID, company id, IBAN, else name), its master data is
 * taken over and, for every corrected field, where the value is printed on the document (from the
 * text layer the engine run kept) becomes the field's hint. The pipeline hands the tenant's
 * profiles to the engine (`forEngine`), which tries the hints on the supplier's next document.
 *
 * Profiles stay within the tenant: they are tenant rows under RLS, looked up only with the
 * caller's tenant. The one thing learned across firms, label words and only from firms whose
 * training consent is given, is gathered by suppliers.shared-labels.ts.
 */
import { NotFoundError, ValidationFailedError } from '../../core/errors.js';
import { LruMap } from '../../core/lru-map.js';
import { allowedCompanyIds, systemContext, type RequestContext } from '../../core/request-context.js';
import {
  boundTextLayer,
  FIELD_NAMES,
  idKey,
  layerUnits,
  layerWords,
  learnFieldHint,
  nameKey,
  isValidIban,
  normaliseFieldValue,
  supplierIdentity,
  type ExtractionResult,
  type FieldChange,
  type FieldHint,
  type FieldName,
  type ConstantField,
  CONSTANT_FIELDS,
  type LearnedConstants,
  type LearnedSupplier,
  type TextLayer,
} from '../../extraction/model.js';
import type { Db, Tx } from '../../platform/db/db.js';
import type { AuditService } from '../audit/audit.service.js';
import { decodeCursor, pageOf } from '../cursor.js';
import * as repo from './suppliers.repo.js';
import { describeHint, parseConstants, parseHints } from './suppliers.hints.js';

/** Profiles handed to the engine per tenant (its matching is linear; the newest win). */
export const ENGINE_PROFILE_LIMIT = 5_000;
const MAX_CACHED_TENANTS = 100;

export interface SupplierHintView {
  readonly field: FieldName;
  readonly page: number;
  readonly anchor: FieldHint['anchor'];
  readonly label: string | null;
  readonly pattern: string;
  readonly learned: number;
  /** The hint in words, e.g. `on page 1, right of the label "invoice no"`. */
  readonly description: string;
}

export interface SupplierView {
  readonly id: string;
  readonly name: string | null;
  readonly vatId: string | null;
  readonly companyId: string | null;
  readonly iban: string | null;
  readonly corrections: number;
  readonly hints: SupplierHintView[];
  /** Values people entered for fields this supplier's pages do not print (currency, buyer). */
  readonly constants: LearnedConstants;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface SupplierChanges {
  readonly name?: string | null | undefined;
  readonly vatId?: string | null | undefined;
  readonly companyId?: string | null | undefined;
  readonly iban?: string | null | undefined;
  /** Fields whose hint is dropped: the engine's general rules read them again. */
  readonly dropHints?: readonly FieldName[] | undefined;
}

export interface LearningInput {
  readonly documentId: string;
  /** The result after the correction. */
  readonly result: ExtractionResult;
  readonly changes: readonly FieldChange[];
}

export interface SuppliersService {
  /** In the correction's transaction: teaches the supplier's profile, audited there. */
  learnFromCorrection(tx: Tx, ctx: RequestContext, input: LearningInput): Promise<void>;
  /**
   * In the engine run's transaction: keeps (or, with null, forgets) the document's text layer, cut
   * to MAX_LAYER_WORDS words and MAX_LAYER_CHARS characters (extraction/hints/text-layer.ts).
   */
  saveTextLayer(
    tx: Tx,
    ctx: RequestContext,
    documentId: string,
    runId: string,
    layer: TextLayer | null,
  ): Promise<void>;
  /** The tenant's profiles as the engine's input, cached while no profile changes. */
  forEngine(tenantId: string): Promise<LearnedSupplier[]>;
  list(
    ctx: RequestContext,
    limit: number,
    cursor?: string,
  ): Promise<{ items: SupplierView[]; nextCursor: string | null }>;
  get(ctx: RequestContext, id: string): Promise<SupplierView>;
  update(ctx: RequestContext, id: string, changes: SupplierChanges): Promise<SupplierView>;
  remove(ctx: RequestContext, id: string): Promise<void>;
}

/** The profile's master data as the engine and the lookups see it. */
function identityData(master: {
  name: string | null;
  vatId: string | null;
  companyId: string | null;
  iban: string | null;
}): Omit<repo.ProfileData, 'hints' | 'constants'> {
  return {
    ...master,
    nameKey: master.name ? nameKey(master.name) || null : null,
    vatKey: idKey(master.vatId ?? undefined) || null,
    companyKey: idKey(master.companyId ?? undefined) || null,
    ibanKey: idKey(master.iban ?? undefined) || null,
  };
}

/**
 * The document's profile among those sharing a key with it: by VAT ID, company id, IBAN, then
 * name — never one whose VAT ID differs from the document's (a namesake is another supplier).
 */
function pick(
  rows: readonly repo.SupplierProfileRow[],
  keys: repo.IdentityKeys,
): repo.SupplierProfileRow | null {
  const compatible = rows.filter((r) => !keys.vatKey || !r.vatKey || r.vatKey === keys.vatKey);
  for (const key of ['vatKey', 'companyKey', 'ibanKey', 'nameKey'] as const) {
    const hit = keys[key] && compatible.find((r) => r[key] === keys[key]);
    if (hit) return hit;
  }
  return null;
}

function toView(row: repo.SupplierProfileRow): SupplierView {
  return {
    id: row.id,
    name: row.name,
    vatId: row.vatId,
    companyId: row.companyId,
    iban: row.iban,
    corrections: row.corrections,
    hints: parseHints(row.hints).map((h) => ({
      field: h.field,
      page: h.page,
      anchor: h.anchor,
      label: h.label || null,
      pattern: h.pattern,
      learned: h.learned,
      description: describeHint(h),
    })),
    constants: parseConstants(row.constants),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function toEngine(row: repo.SupplierProfileRow): LearnedSupplier {
  return {
    name: row.name ?? undefined,
    vatId: row.vatId ?? undefined,
    companyId: row.companyId ?? undefined,
    ibans: row.iban ? [row.iban] : [],
    hints: parseHints(row.hints),
    constants: parseConstants(row.constants),
  };
}

/**
 * A profile spans the firm's companies: a principal restricted to some companies sees none (404),
 * so it cannot read what documents of other companies taught.
 */
function assertFirmWide(ctx: RequestContext): void {
  if (allowedCompanyIds(ctx)) throw new NotFoundError('The supplier does not exist.');
}

/**
 * Corrected master data is normalised like a correction of the same field. Unlike a correction,
 * which records what one document printed (a bad check digit included, with its finding), master
 * data is applied to the supplier's next documents, so an IBAN must also pass its checksum.
 */
function masterValue(field: FieldName, raw: string | null | undefined): string | null | undefined {
  if (raw === undefined || raw === null) return raw;
  const result = normaliseFieldValue(field, raw);
  const problem =
    'problem' in result
      ? result.problem
      : field === 'payment.iban' && !isValidIban(result.value)
        ? 'is not a valid IBAN (its check digits do not match)'
        : undefined;
  if (problem !== undefined)
    throw new ValidationFailedError(`${field} ${problem}`, [
      { field: `body.${field.replace(/^seller\.|^payment\./, '')}`, message: problem },
    ]);
  return (result as { value: string }).value;
}

export function createSuppliersService(deps: { db: Db; audit: AuditService }): SuppliersService {
  const { db, audit } = deps;
  const cache = new LruMap<string, { fingerprint: string; suppliers: LearnedSupplier[] }>(MAX_CACHED_TENANTS);

  async function visible(tx: Tx, ctx: RequestContext, id: string): Promise<repo.SupplierProfileRow> {
    assertFirmWide(ctx);
    const row = await repo.findProfile(tx, ctx.tenantId, id);
    if (!row) throw new NotFoundError('The supplier does not exist.');
    return row;
  }

  return {
    async learnFromCorrection(tx, ctx, input) {
      const taught = input.changes;
      if (taught.length === 0) return;
      const identity = supplierIdentity(input.result.fields);
      const keys: repo.IdentityKeys = {
        vatKey: identity.vatId,
        companyKey: identity.companyId,
        ibanKey: identity.iban,
        nameKey: identity.name ? nameKey(identity.name) : '',
      };
      // Without any identity there is no supplier to remember this for.
      if (!keys.vatKey && !keys.companyKey && !keys.ibanKey && !keys.nameKey) return;
      await repo.lockProfiles(tx, ctx.tenantId);
      const existing = pick(await repo.findByIdentity(tx, ctx.tenantId, keys), keys);
      const layer = await repo.findTextLayer(tx, ctx.tenantId, input.documentId);
      const words = layerWords(layer);
      const units = layerUnits(layer);
      const hints = new Map<FieldName, FieldHint>(
        parseHints(existing?.hints).map((h) => [h.field, h] as const),
      );
      const constants: LearnedConstants = parseConstants(existing?.constants);
      const isConstant = (f: FieldName): f is ConstantField =>
        (CONSTANT_FIELDS as readonly string[]).includes(f);
      const learned: FieldName[] = [];
      for (const change of taught) {
        const previous = hints.get(change.field);
        hints.delete(change.field);
        if (isConstant(change.field)) delete constants[change.field];
        if (change.field === 'buyer.vatId') delete constants.forBuyer;
        if (change.after === null || words.length === 0) continue;
        const hint = learnFieldHint(words, change.field, change.after, units, (previous?.learned ?? 0) + 1);
        if (hint) {
          hints.set(change.field, hint);
          learned.push(change.field);
        } else if (isConstant(change.field)) {
          // Not printed: the supplier's pages do not show it, the person knew it. A buyer's VAT ID
          // belongs to that buyer (a supplier bills several of the firm's clients): it is kept
          // with the buyer's name, and without one it is not kept at all.
          const buyer = input.result.fields['buyer.name']?.value;
          if (change.field === 'buyer.vatId' && !buyer) continue;
          if (change.field === 'buyer.vatId') constants.forBuyer = buyer;
          constants[change.field] = change.after;
        }
      }
      const f = input.result.fields;
      const data: repo.ProfileData = {
        ...identityData({
          name: f['seller.name']?.value ?? existing?.name ?? null,
          vatId: f['seller.vatId']?.value ?? existing?.vatId ?? null,
          companyId: f['seller.companyId']?.value ?? existing?.companyId ?? null,
          iban: f['payment.iban']?.value ?? existing?.iban ?? null,
        }),
        hints: FIELD_NAMES.flatMap((name) => (hints.has(name) ? [hints.get(name)!] : [])),
        constants,
      };
      const row = existing
        ? await repo.updateProfile(tx, ctx.tenantId, existing.id, data, 1)
        : await repo.insertProfile(tx, ctx.tenantId, data, 1);
      await audit.record(tx, ctx, {
        action: 'supplier_profile.learned',
        target: { type: 'supplier_profile', id: row.id },
        payload: {
          documentId: input.documentId,
          created: !existing,
          fields: taught.map((c) => c.field),
          hints: learned,
          constants: CONSTANT_FIELDS.filter((c) => constants[c] !== undefined),
        },
      });
    },

    async saveTextLayer(tx, ctx, documentId, runId, layer) {
      // The engine ran in another thread on a hostile file: store only what the bounds allow.
      await repo.saveTextLayer(tx, ctx.tenantId, documentId, runId, boundTextLayer(layer));
    },

    async forEngine(tenantId) {
      const ctx = systemContext(tenantId, { kind: 'worker', id: 'worker:extraction' });
      return db.withTenant(ctx, async (tx) => {
        const fingerprint = await repo.profilesFingerprint(tx, tenantId);
        const cached = cache.get(tenantId);
        if (cached?.fingerprint === fingerprint) return cached.suppliers;
        const rows = await repo.listProfiles(tx, tenantId, ENGINE_PROFILE_LIMIT);
        const suppliers = rows.map(toEngine);
        cache.set(tenantId, { fingerprint, suppliers });
        return suppliers;
      });
    },

    async list(ctx, limit, cursor) {
      const position = cursor ? decodeCursor(cursor) : undefined;
      if (allowedCompanyIds(ctx)) return { items: [], nextCursor: null };
      return db.withTenant(ctx, async (tx) => {
        const rows = await repo.listProfiles(tx, ctx.tenantId, limit + 1, position);
        const page = pageOf(rows, limit, (row) => ({ at: row.createdAt, id: row.id }));
        return { items: page.rows.map(toView), nextCursor: page.nextCursor };
      });
    },

    async get(ctx, id) {
      return db.withTenant(ctx, async (tx) => toView(await visible(tx, ctx, id)));
    },

    async update(ctx, id, changes) {
      const master = {
        name: changes.name === undefined ? undefined : changes.name?.normalize('NFC').trim() || null,
        vatId: masterValue('seller.vatId', changes.vatId),
        companyId: masterValue('seller.companyId', changes.companyId),
        iban: masterValue('payment.iban', changes.iban),
      };
      return db.withTenant(ctx, async (tx) => {
        const row = await visible(tx, ctx, id);
        const merged = {
          name: master.name === undefined ? row.name : master.name,
          vatId: master.vatId === undefined ? row.vatId : master.vatId,
          companyId: master.companyId === undefined ? row.companyId : master.companyId,
          iban: master.iban === undefined ? row.iban : master.iban,
        };
        const data = identityData(merged);
        if (!data.vatKey && !data.companyKey && !data.ibanKey && !data.nameKey)
          throw new ValidationFailedError(
            'A supplier keeps at least one of name, VAT ID, company id or IBAN.',
            [{ field: 'body', message: 'would leave the supplier without an identity' }],
          );
        const dropped = new Set(changes.dropHints ?? []);
        const hints = parseHints(row.hints).filter((h) => !dropped.has(h.field));
        const constants = Object.fromEntries(
          Object.entries(parseConstants(row.constants)).filter(
            // The buyer a buyer VAT ID was entered for goes with it.
            ([f]) => !dropped.has((f === 'forBuyer' ? 'buyer.vatId' : f) as FieldName),
          ),
        );
        const updated = await repo.updateProfile(tx, ctx.tenantId, id, { ...data, hints, constants });
        await audit.record(tx, ctx, {
          action: 'supplier_profile.changed',
          target: { type: 'supplier_profile', id },
          payload: {
            fields: Object.keys(master).filter((k) => master[k as keyof typeof master] !== undefined),
            droppedHints: [...dropped].sort(),
          },
        });
        return toView(updated);
      });
    },

    async remove(ctx, id) {
      await db.withTenant(ctx, async (tx) => {
        const row = await visible(tx, ctx, id);
        await repo.deleteProfile(tx, ctx.tenantId, id);
        await audit.record(tx, ctx, {
          action: 'supplier_profile.deleted',
          target: { type: 'supplier_profile', id },
          payload: { hints: parseHints(row.hints).map((h) => h.field), corrections: row.corrections },
        });
      });
    },
  };
}
