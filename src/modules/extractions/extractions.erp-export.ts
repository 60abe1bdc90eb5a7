/**
 * Hand-off to ERP agents: validated extractions listed in update order with a cursor, acknowledged
 * (marked exported) idempotently, in JSON or CSV. An agent restricted to some companies sees only
 * theirs.
 */
import type { Clock } from '../../core/clock.js';
import { ConflictError } from '../../core/errors.js';
import type { RequestContext } from '../../core/request-context.js';
import { FIELD_NAMES, type ExtractionResult } from '../../extraction/model.js';
import type { Db } from '../../platform/db/db.js';
import type { AuditService } from '../audit/audit.service.js';
import { decodeCursor, pageOf } from '../cursor.js';
import type { DocumentsService } from '../documents/documents.service.js';
import { LruMap } from '../../core/lru-map.js';
import { conformanceSummary } from './extractions.einvoice-export.js';
import * as repo from './extractions.repo.js';

/** Conformance answers kept per process: ~200 bytes each, so about 2 MB at most. */
const CONFORMANCE_CACHE_ENTRIES = 10_000;

export interface ExportItem {
  readonly documentId: string;
  readonly companyId: string | null;
  readonly documentType: string;
  readonly status: 'validated' | 'exported';
  readonly version: number;
  readonly validatedAt: Date | null;
  readonly exportedAt: Date | null;
  readonly fields: Record<string, string>;
  readonly vatBreakdown: unknown[];
  readonly lines: unknown[];
  /** Whether the data meet EN 16931 (and Peppol BIS 3); what `?format=ubl|cii|isdoc` would answer. */
  readonly conformance: ReturnType<typeof conformanceSummary>;
}

export interface ExportQuery {
  readonly exported?: boolean | undefined;
  readonly companyId?: string | undefined;
  readonly updatedSince?: Date | undefined;
  readonly cursor?: string | undefined;
  readonly limit: number;
}

export interface ExtractionExportService {
  list(ctx: RequestContext, query: ExportQuery): Promise<{ items: ExportItem[]; nextCursor: string | null }>;
  /** One validated extraction, with its full result (for the UBL / CII / ISDOC renderings). */
  getForExport(
    ctx: RequestContext,
    documentId: string,
  ): Promise<{ item: ExportItem; result: ExtractionResult }>;
  acknowledge(ctx: RequestContext, documentId: string): Promise<{ documentId: string; exportedAt: Date }>;
}

/** The document's export state joined with the field values of its latest extraction. */
function toExportItem(
  doc: {
    id: string;
    companyId: string | null;
    type: string;
    status: string;
    validatedAt: Date | null;
    exportedAt: Date | null;
  },
  latest: Pick<repo.ExtractionRow, 'version' | 'result'>,
  conformance: ExportItem['conformance'],
): ExportItem {
  const result = latest.result as unknown as ExtractionResult;
  return {
    documentId: doc.id,
    companyId: doc.companyId,
    documentType: doc.type,
    status: doc.status as ExportItem['status'],
    version: latest.version,
    validatedAt: doc.validatedAt,
    exportedAt: doc.exportedAt,
    fields: Object.fromEntries(Object.entries(result.fields).map(([name, field]) => [name, field!.value])),
    vatBreakdown: result.vatBreakdown,
    lines: result.lines,
    conformance,
  };
}

/**
 * A duplicate invoice validated without the duplicate override (validated before it was found to
 * be one) is never handed to an ERP: the list leaves it out, a direct read refuses it.
 */
function duplicateNotAllowed(duplicateOf: string): ConflictError {
  return new ConflictError(
    `The document duplicates document ${duplicateOf} and was not validated with allowDuplicate.`,
    'duplicate_invoice',
  );
}

export function createExtractionExportService(deps: {
  db: Db;
  audit: AuditService;
  documents: DocumentsService;
  clock: Clock;
}): ExtractionExportService {
  // Conformance renders the UBL and runs the EN 16931 validator over it (about 2 ms): an ERP agent
  // polling a page of 60 would cost 100+ ms of CPU each time. An extraction version never changes,
  // so its answer under this process's rules never does either; the key is the version's identity.
  const conformanceByVersion = new LruMap<string, ExportItem['conformance']>(CONFORMANCE_CACHE_ENTRIES);
  const conformanceOf = (
    documentId: string,
    latest: Pick<repo.ExtractionRow, 'version' | 'result'>,
  ): ExportItem['conformance'] => {
    const key = `${documentId}:${latest.version}`;
    const cached = conformanceByVersion.get(key);
    if (cached) return cached;
    const summary = conformanceSummary(latest.result as unknown as ExtractionResult);
    conformanceByVersion.set(key, summary);
    return summary;
  };
  return {
    async list(ctx, query) {
      const position = query.cursor ? decodeCursor(query.cursor) : undefined;
      const filter = {
        status: 'validated' as const,
        exported: query.exported,
        companyId: query.companyId,
        updatedSince: query.updatedSince,
      };
      // One READ ONLY transaction within the caller's companies (the documents module's query).
      const rows = await deps.documents.readExportPage(ctx, filter, query.limit + 1, position);
      const page = pageOf(rows, query.limit, (row) => ({ at: row.updatedAt, id: row.id }));
      return {
        items: page.rows.map((row) => toExportItem(row, row, conformanceOf(row.id, row))),
        nextCursor: page.nextCursor,
      };
    },

    async getForExport(ctx, documentId) {
      await deps.documents.getDocument(ctx, documentId); // visibility: 404 like the document
      return deps.db.withTenant(ctx, async (tx) => {
        const doc = await deps.documents.findDocumentState(tx, ctx, documentId);
        const latest = await repo.latestExtraction(tx, ctx.tenantId, documentId);
        if (!doc || !latest || (doc.status !== 'validated' && doc.status !== 'exported')) {
          throw new ConflictError('Only validated extractions can be exported.', 'not_validated');
        }
        if (doc.duplicateOf && !doc.duplicateOverrideReason) throw duplicateNotAllowed(doc.duplicateOf);
        return {
          item: toExportItem(doc, latest, conformanceOf(doc.id, latest)),
          result: latest.result as unknown as ExtractionResult,
        };
      });
    },

    async acknowledge(ctx, documentId) {
      await deps.documents.getDocument(ctx, documentId); // visibility: 404 like the document
      return deps.db.withTenant(ctx, async (tx) => {
        await deps.documents.lockDocument(tx, ctx, documentId);
        const doc = await deps.documents.findDocumentState(tx, ctx, documentId);
        if (doc?.status === 'exported' && doc.exportedAt) return { documentId, exportedAt: doc.exportedAt };
        if (doc?.status !== 'validated')
          throw new ConflictError('Only validated extractions can be acknowledged.', 'not_validated');
        if (doc.duplicateOf && !doc.duplicateOverrideReason) throw duplicateNotAllowed(doc.duplicateOf);
        const exportedAt = deps.clock();
        // Locked and just read as validated: the move cannot be refused.
        if (
          !(await deps.documents.moveStatus(tx, ctx, documentId, 'validated', 'exported', {
            set: { exportedAt },
          }))
        )
          throw new Error(`document ${documentId} changed status under its lock`);
        await deps.audit.record(tx, ctx, {
          action: 'extraction.exported',
          target: { type: 'document', id: documentId },
        });
        return { documentId, exportedAt };
      });
    },
  };
}

/** Values that spreadsheets would run as formulas are prefixed with ' (CSV injection). */
function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export const CSV_COLUMNS = [
  'documentId',
  'companyId',
  'documentType',
  'status',
  'version',
  'validatedAt',
  'exportedAt',
  ...FIELD_NAMES,
] as const;

/** One row per document, the EN 16931 fields as columns (RFC 4180). */
export function toCsv(items: readonly ExportItem[]): string {
  const rows = items.map((item) =>
    CSV_COLUMNS.map((column) => {
      const direct: Record<string, string> = {
        documentId: item.documentId,
        companyId: item.companyId ?? '',
        documentType: item.documentType,
        status: item.status,
        version: String(item.version),
        validatedAt: item.validatedAt?.toISOString() ?? '',
        exportedAt: item.exportedAt?.toISOString() ?? '',
      };
      return csvCell(direct[column] ?? item.fields[column] ?? '');
    }).join(','),
  );
  return `${[CSV_COLUMNS.join(','), ...rows].join('\r\n')}\r\n`;
}
