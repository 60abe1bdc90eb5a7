/**
 * Learning beyond one firm, with consent: the label variants people's corrections taught
 * (the `label` of a supplier profile's hints: "belegkennung" before an invoice number) are
 * gathered from the firms whose training consent is given, and a label is published for every
 * firm's extractions once at least `MIN_FIRMS` of them taught it for the same field
 * (extraction/hints/shared-labels.ts reads them as labels of the general rules).
 *
 * What crosses firms is only the label's words: no value, no position, no supplier, no firm. The
 * gathering reads each consenting firm's profiles in that firm's own RLS transaction, keeps only
 * labels `isShareableLabel` allows (letters, at most four words, not already a built-in label),
 * counts each once per firm, and replaces the published table in one transaction (a system_scan
 * transaction: no firm's request can write it). A firm that withdraws its consent, or deletes the
 * profile that taught a label, stops counting at the next gathering. Without consent a firm's
 * learning stays within it, as it always does.
 */
import type { Clock } from '../../core/clock.js';
import { systemContext } from '../../core/request-context.js';
import {
  isFieldName,
  isShareableLabel,
  labelKey,
  MAX_SHARED_LABELS,
  MAX_SHARED_LABELS_PER_FIELD,
  type SharedLabel,
} from '../../extraction/model.js';
import type { Db } from '../../platform/db/db.js';
import type { AuditService } from '../audit/audit.service.js';
import type { TenantsService } from '../tenants/tenants.service.js';
import { parseHints } from './suppliers.hints.js';
import * as repo from './suppliers.repo.js';
import { ENGINE_PROFILE_LIMIT } from './suppliers.service.js';

/** Firms that must have taught a label before it is shared: no label can point at one firm. */
export const MIN_FIRMS = 3;
/** How long a worker keeps the published labels before reading them again. */
const ENGINE_CACHE_MS = 60_000;

const GATHERER = { kind: 'worker', id: 'worker:shared-labels' } as const;

export interface GatheringResult {
  /** Active firms whose consent is given (whose profiles were read). */
  readonly consentingFirms: number;
  readonly published: number;
  /** What is published now: each label with the number of firms that taught it (no firm named). */
  readonly labels: readonly repo.SharedLabelRow[];
  /** False when the published labels are the same as before (nothing was audited). */
  readonly changed: boolean;
}

export interface SharedLabels {
  /** The maintenance job: gathers the consenting firms' labels and publishes them. */
  gather(): Promise<GatheringResult>;
  /** The published labels as the engine's input, read again at most once a minute. */
  forEngine(): Promise<SharedLabel[]>;
}

const keyOf = (field: string, label: string) => `${field}\u0000${label}`;

/**
 * Distinct labels one firm contributes at most: a firm's profiles share a handful of label words,
 * and the gathering holds every consenting firm's labels in memory until it has counted them all.
 */
const MAX_LABELS_PER_FIRM = 200;

/** The shareable (field, label) keys one firm's profiles hold, each once, its most used first. */
function labelsOf(hintColumns: readonly unknown[]): Set<string> {
  const uses = new Map<string, number>();
  for (const column of hintColumns)
    for (const hint of parseHints(column))
      if (hint.anchor !== 'page' && isShareableLabel(hint.field, hint.label)) {
        const key = keyOf(hint.field, hint.label);
        uses.set(key, (uses.get(key) ?? 0) + 1);
      }
  const ranked = [...uses].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return new Set(ranked.slice(0, MAX_LABELS_PER_FIRM).map(([key]) => key));
}

/**
 * Labels taught by enough firms and not blocked by the operator, the most widely taught first,
 * within the engine's bounds.
 */
function publishable(
  firmsByKey: ReadonlyMap<string, number>,
  blocked: ReadonlySet<string>,
): repo.SharedLabelRow[] {
  const rows = [...firmsByKey]
    .filter(([key, firms]) => firms >= MIN_FIRMS && !blocked.has(key))
    .map(([key, firms]) => {
      const [field, label] = key.split('\u0000') as [string, string];
      return { field, label, firms };
    })
    .sort((a, b) => b.firms - a.firms || a.field.localeCompare(b.field) || a.label.localeCompare(b.label));
  const perField = new Map<string, number>();
  const kept: repo.SharedLabelRow[] = [];
  for (const row of rows) {
    const count = perField.get(row.field) ?? 0;
    if (count >= MAX_SHARED_LABELS_PER_FIELD || kept.length >= MAX_SHARED_LABELS) continue;
    perField.set(row.field, count + 1);
    kept.push(row);
  }
  return kept;
}

const sameLabels = (a: readonly repo.SharedLabelRow[], b: readonly repo.SharedLabelRow[]): boolean =>
  a.length === b.length &&
  a.every((row) => b.some((other) => other.field === row.field && other.label === row.label));

export function createSharedLabels(deps: {
  readonly db: Db;
  readonly tenants: Pick<TenantsService, 'listActiveTenantIds' | 'isTrainingConsentGiven'>;
  readonly audit: AuditService;
  readonly clock: Clock;
  /** `field:label` pairs never published (SHARED_LABELS_BLOCKED). */
  readonly blocked?: readonly string[];
}): SharedLabels {
  const { db, audit, clock } = deps;
  // Published labels are label keys (lower case, digits as 9): a block written as the page prints
  // the label ("invoiceNumber:Vorgang") must block the same key.
  // A field misspelt ("invoicenumber") would block nothing without a word: it stops start-up.
  const blocked = new Set(
    (deps.blocked ?? []).map((pair) => {
      const at = pair.indexOf(':');
      const field = pair.slice(0, at);
      if (!isFieldName(field))
        throw new TypeError(`SHARED_LABELS_BLOCKED: "${pair}" names no field ("${field}" is not one)`);
      return keyOf(field, labelKey(pair.slice(at + 1)));
    }),
  );
  let cached: { at: number; labels: SharedLabel[] } | undefined;

  return {
    async gather() {
      const contributions = new Map<string, Set<string>>();
      for (const tenantId of await deps.tenants.listActiveTenantIds()) {
        const ctx = systemContext(tenantId, GATHERER);
        const keys = await db.withTenant(ctx, async (tx) =>
          (await deps.tenants.isTrainingConsentGiven(tx, tenantId))
            ? labelsOf(await repo.listHints(tx, tenantId, ENGINE_PROFILE_LIMIT))
            : null,
        );
        if (keys) contributions.set(tenantId, keys);
      }
      const firmsByKey = new Map<string, number>();
      for (const keys of contributions.values())
        for (const key of keys) firmsByKey.set(key, (firmsByKey.get(key) ?? 0) + 1);
      const rows = publishable(firmsByKey, blocked);
      const before = await db.withScope({}, (tx) => repo.readSharedLabels(tx, MAX_SHARED_LABELS));
      const changed = !sameLabels(before, rows);
      // Each firm whose corrections a published label came from learns it in its audit log, before
      // the publication: a gathering stopped in between audits again and publishes on its next
      // run, so a label is never shared without its firms' events (at worst they are repeated).
      if (changed) {
        for (const [tenantId, keys] of contributions) {
          const taught = rows.filter((row) => keys.has(keyOf(row.field, row.label)));
          if (taught.length === 0) continue;
          const ctx = systemContext(tenantId, GATHERER);
          await db.withTenant(ctx, (tx) =>
            audit.record(tx, ctx, {
              action: 'supplier_labels.shared',
              target: { type: 'tenant', id: tenantId },
              payload: {
                labels: taught.map((row) => ({ field: row.field, label: row.label })),
                minFirms: MIN_FIRMS,
              },
            }),
          );
        }
      }
      await db.withScope({ systemScan: true }, (tx) => repo.replaceSharedLabels(tx, rows));
      cached = undefined;
      return { consentingFirms: contributions.size, published: rows.length, changed, labels: rows };
    },

    async forEngine() {
      const now = clock().getTime();
      if (cached && now - cached.at < ENGINE_CACHE_MS) return cached.labels;
      const rows = await db.withScope({}, (tx) => repo.readSharedLabels(tx, MAX_SHARED_LABELS));
      // Read back as untrusted: only fields and labels the engine would share itself.
      const labels = rows.flatMap((row) =>
        isFieldName(row.field) && isShareableLabel(row.field, row.label)
          ? [{ field: row.field, label: row.label }]
          : [],
      );
      cached = { at: now, labels };
      return labels;
    },
  };
}
