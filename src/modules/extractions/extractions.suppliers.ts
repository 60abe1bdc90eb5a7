/**
 * The tenant's supplier directory for the engine: built from its validated documents (a bounded
 * query in the tenant's RLS transaction) and cached per tenant while the validated set does not
 * change, so a batch of jobs for one firm reads it once.
 */
import type { Db } from '../../platform/db/db.js';
import { LruMap } from '../../core/lru-map.js';
import { systemContext } from '../../core/request-context.js';
import {
  idKey,
  invoiceNumberShape,
  placeOf,
  PLACED_FIELDS,
  termsDays,
  type FieldPlace,
  type KnownSupplier,
  type PlacedField,
} from '../../extraction/model.js';
import type { DocumentsService, ValidatedSellerRow } from '../documents/documents.service.js';

/** Validated documents read per directory: the most recent ones speak for a supplier's current data. */
export const DIRECTORY_DOCUMENT_LIMIT = 2_000;
/** IBANs kept per supplier (a supplier with more accounts than this is unusual already). */
const MAX_IBANS_PER_SUPPLIER = 10;
/** Currencies, buyers, payment terms and places of a field kept per supplier. */
const MAX_VALUES_PER_SUPPLIER = 10;
/** Payment terms longer than this (days from issue to due date) are not kept as terms. */
const MAX_TERMS_DAYS = 365;

/** The payment term of a validated document (days from issue to due date), when it is one. */
function paymentTerm(issue: string | null | undefined, due: string | null | undefined): number | null {
  const days = termsDays(issue, due);
  return days !== null && days >= 0 && days <= MAX_TERMS_DAYS ? days : null;
}

function addBounded<T>(set: Set<T>, value: T | null | undefined): void {
  if (value !== null && value !== undefined && value !== '' && set.size < MAX_VALUES_PER_SUPPLIER)
    set.add(value);
}
/** Tenants whose directory is kept in memory at once. */
const MAX_CACHED_TENANTS = 100;

/**
 * Groups validated sellers into suppliers: one record per VAT ID, else per company id, else per
 * name; the most recent document names it, every IBAN it was paid to is kept, and so are the
 * shapes of its invoice numbers, the currencies it billed in, the buyers it billed (and their VAT
 * IDs), its payment terms (days from issue to due), whether its payment references are its
 * invoice numbers, and where its pages print the invoice number and dates (most recent first).
 */
export function buildDirectory(rows: readonly ValidatedSellerRow[]): KnownSupplier[] {
  const byKey = new Map<
    string,
    {
      name?: string;
      vatId?: string;
      companyId?: string;
      ibans: Set<string>;
      numberShapes: Set<string>;
      currencies: Set<string>;
      buyers: Set<string>;
      buyerVatIds: Set<string>;
      terms: Set<number>;
      places: Partial<Record<PlacedField, FieldPlace[]>>;
      /** Validated documents whose payment reference is their invoice number, and with another one. */
      referenceIsNumber: number;
      referenceOther: number;
      documents: number;
    }
  >();
  for (const row of rows) {
    const id = idKey(row.vat_id)
      ? `v:${idKey(row.vat_id)}`
      : idKey(row.company_id)
        ? `c:${idKey(row.company_id)}`
        : '';
    const nameId = row.name ? `n:${row.name.toLowerCase().replace(/\s+/g, ' ').trim()}` : '';
    const k = id || nameId;
    if (!k) continue;
    const entry = byKey.get(k) ?? {
      ibans: new Set<string>(),
      numberShapes: new Set<string>(),
      currencies: new Set<string>(),
      buyers: new Set<string>(),
      buyerVatIds: new Set<string>(),
      terms: new Set<number>(),
      places: {},
      referenceIsNumber: 0,
      referenceOther: 0,
      documents: 0,
    };
    entry.name ??= row.name ?? undefined;
    entry.vatId ??= row.vat_id ?? undefined;
    entry.companyId ??= row.company_id ?? undefined;
    if (row.iban && entry.ibans.size < MAX_IBANS_PER_SUPPLIER) entry.ibans.add(idKey(row.iban));
    addBounded(entry.numberShapes, row.invoice_number ? invoiceNumberShape(row.invoice_number) : null);
    addBounded(entry.currencies, row.currency);
    addBounded(entry.buyers, row.buyer_name);
    addBounded(entry.buyerVatIds, row.buyer_vat_id ? idKey(row.buyer_vat_id) : null);
    if (row.payment_reference) {
      if (idKey(row.payment_reference) === idKey(row.invoice_number ?? null)) entry.referenceIsNumber += 1;
      else entry.referenceOther += 1;
    }
    addBounded(entry.terms, paymentTerm(row.issue_date, row.due_date));
    const stored = (row.places ?? {}) as Partial<Record<PlacedField, unknown>>;
    for (const field of PLACED_FIELDS) {
      const place = placeOf(stored[field]);
      const kept = (entry.places[field] ??= []);
      if (place && kept.length < MAX_VALUES_PER_SUPPLIER) kept.push(place);
    }
    entry.documents += 1;
    byKey.set(k, entry);
  }
  return [...byKey.values()].map((e) => ({
    name: e.name,
    vatId: e.vatId,
    companyId: e.companyId,
    ibans: [...e.ibans],
    invoiceNumberShapes: [...e.numberShapes],
    currencies: [...e.currencies],
    buyers: [...e.buyers],
    buyerVatIds: [...e.buyerVatIds],
    referenceIsInvoiceNumber: e.referenceIsNumber > 0 && e.referenceOther === 0,
    paymentTermsDays: [...e.terms],
    places: e.places,
    documents: e.documents,
  }));
}

export interface SupplierDirectorySource {
  /** The tenant's directory: cached while its validated documents did not change. */
  get(tenantId: string): Promise<KnownSupplier[]>;
}

export function createSupplierDirectorySource(
  db: Db,
  documents: Pick<DocumentsService, 'validatedSellersFingerprint' | 'listValidatedSellers'>,
  limit = DIRECTORY_DOCUMENT_LIMIT,
): SupplierDirectorySource {
  const cache = new LruMap<string, { fingerprint: string; suppliers: KnownSupplier[] }>(MAX_CACHED_TENANTS);
  return {
    async get(tenantId) {
      const ctx = systemContext(tenantId, { kind: 'worker', id: 'worker:extraction' });
      return db.withTenant(ctx, async (tx) => {
        const fingerprint = await documents.validatedSellersFingerprint(tx, ctx);
        const cached = cache.get(tenantId);
        if (cached?.fingerprint === fingerprint) return cached.suppliers;
        const suppliers = buildDirectory(await documents.listValidatedSellers(tx, ctx, limit));
        cache.set(tenantId, { fingerprint, suppliers });
        return suppliers;
      });
    },
  };
}
