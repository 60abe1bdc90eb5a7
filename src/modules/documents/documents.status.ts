/**
 * The document's processing status: the one list of statuses and the one table of the moves
 * between them (DESIGN's lifecycle `received -> stored -> queued -> extracting -> extracted |
 * needs_review | failed -> validated -> exported`, plus the moves the code makes besides the
 * straight line: a new run, a job Redis did not take, a person's correction). Every write of
 * `documents.status` goes through `repo.moveStatus`, which refuses a move this table does not
 * list. Trash, restore and purge are another axis (trashed_at, purged_at) and never touch it.
 */
import type { AuditEventInput } from '../audit/audit.service.js';

export const DOCUMENT_STATUSES = [
  'received',
  'stored',
  'queued',
  'extracting',
  'extracted',
  'needs_review',
  'failed',
  'validated',
  'exported',
] as const;

export type DocumentStatus = (typeof DOCUMENT_STATUSES)[number];

/** The statuses a document in one status may move to. */
const TRANSITIONS: Readonly<Record<DocumentStatus, readonly DocumentStatus[]>> = {
  // The content is still arriving: no row exists yet (a row is written once its blob is durable).
  received: ['stored'],
  // Stored, handed to processing: queued with a run. A job Redis took after all although the
  // enqueue timed out (the document went back to stored) runs it: extracting, or failed.
  stored: ['queued', 'extracting', 'failed'],
  // A worker took the job (extracting), Redis did not take it (stored, for the reconciler), a new
  // run superseded this one (queued again), or the last attempt failed before extracting.
  queued: ['extracting', 'stored', 'queued', 'failed'],
  // A retried attempt is extracting again; the engine's answer; the last attempt failed; a new run.
  extracting: ['extracting', 'extracted', 'needs_review', 'failed', 'queued'],
  // A person corrects (extracted or needs review, by the findings) or validates; reprocessing.
  extracted: ['extracted', 'needs_review', 'validated', 'queued'],
  needs_review: ['extracted', 'needs_review', 'validated', 'queued'],
  failed: ['queued'],
  // A correction reopens a validated document; the ERP takes it over; reprocessing.
  validated: ['extracted', 'needs_review', 'exported', 'queued'],
  // A correction after export: validated again for the ERP, or reopened (it became a duplicate).
  // Never reprocessed: a new engine run would replace data the ERP already has.
  exported: ['validated', 'extracted', 'needs_review'],
};

/** The status a recorded document enters with: `received` lasts only while the bytes arrive. */
export const FIRST_STORED_STATUS: DocumentStatus = 'stored';

export function isDocumentStatus(value: string): value is DocumentStatus {
  return (DOCUMENT_STATUSES as readonly string[]).includes(value);
}

export function canMove(from: DocumentStatus, to: DocumentStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** A move the lifecycle does not allow: a bug in the caller, never a client's mistake. */
export class IllegalStatusTransitionError extends Error {
  constructor(
    readonly from: readonly DocumentStatus[],
    readonly to: DocumentStatus,
  ) {
    super(`A document cannot move from ${from.join(' | ')} to ${to}.`);
    this.name = 'IllegalStatusTransitionError';
  }
}

/** Throws unless every status in `from` may move to `to`. */
export function assertTransition(from: readonly DocumentStatus[], to: DocumentStatus): void {
  if (from.length === 0 || !from.every((status) => canMove(status, to))) {
    throw new IllegalStatusTransitionError(from, to);
  }
}

/** Every status that may move to `to` (a new run starts from any of these). */
export function statusesMovingTo(to: DocumentStatus): DocumentStatus[] {
  return DOCUMENT_STATUSES.filter((from) => canMove(from, to));
}

/** The audit event of a move to `queued` with a new run (upload, reprocessing, reconciler). */
export function queuedEvent(documentId: string, runId: string): AuditEventInput {
  return { action: 'document.queued', target: { type: 'document', id: documentId }, payload: { runId } };
}
