/**
 * The document lifecycle table (documents.status.ts): DESIGN's straight line is allowed, the
 * moves the code makes besides it are allowed, and everything else is refused.
 */
import { describe, expect, it } from 'vitest';
import {
  assertTransition,
  canMove,
  DOCUMENT_STATUSES,
  IllegalStatusTransitionError,
  statusesMovingTo,
  type DocumentStatus,
} from '../../../src/modules/documents/documents.status.js';

describe('document status: the lifecycle table', () => {
  it("allows DESIGN's lifecycle received -> stored -> queued -> extracting -> extracted | needs_review | failed -> validated -> exported", () => {
    const line: [DocumentStatus, DocumentStatus][] = [
      ['received', 'stored'],
      ['stored', 'queued'],
      ['queued', 'extracting'],
      ['extracting', 'extracted'],
      ['extracting', 'needs_review'],
      ['extracting', 'failed'],
      ['extracted', 'validated'],
      ['needs_review', 'validated'],
      ['validated', 'exported'],
    ];
    for (const [from, to] of line) expect(canMove(from, to), `${from} -> ${to}`).toBe(true);
  });

  it('allows the moves the code makes besides the line: job not taken, retry, new run, correction', () => {
    expect(canMove('queued', 'stored')).toBe(true); // Redis did not take the job
    expect(canMove('extracting', 'extracting')).toBe(true); // another attempt
    for (const from of [
      'stored',
      'queued',
      'extracting',
      'extracted',
      'needs_review',
      'failed',
      'validated',
    ] as const)
      expect(canMove(from, 'queued'), `${from} -> queued (a new run)`).toBe(true);
    expect(canMove('validated', 'needs_review')).toBe(true); // a correction reopens it
    expect(canMove('exported', 'validated')).toBe(true); // a correction after export
  });

  it('refuses skipping ahead, going back without a reason, and reprocessing what the ERP took over', () => {
    const refused: [DocumentStatus, DocumentStatus][] = [
      ['received', 'queued'],
      ['stored', 'extracted'],
      ['stored', 'validated'],
      ['queued', 'validated'],
      ['queued', 'exported'],
      ['extracting', 'validated'],
      ['extracted', 'exported'],
      ['needs_review', 'exported'],
      ['failed', 'validated'],
      ['failed', 'extracted'],
      ['exported', 'queued'],
      ['exported', 'stored'],
      ['validated', 'stored'],
      ['validated', 'validated'],
    ];
    for (const [from, to] of refused) expect(canMove(from, to), `${from} -> ${to}`).toBe(false);
    // Nothing ever returns to `received`: it exists only while the bytes arrive.
    for (const from of DOCUMENT_STATUSES)
      expect(canMove(from, 'received'), `${from} -> received`).toBe(false);
  });

  it('assertTransition throws IllegalStatusTransitionError unless every "from" may move to "to"', () => {
    expect(() => assertTransition(['extracted', 'needs_review'], 'validated')).not.toThrow();
    expect(() => assertTransition(['extracted', 'exported'], 'validated')).not.toThrow();
    expect(() => assertTransition(['extracted', 'failed'], 'validated')).toThrow(
      IllegalStatusTransitionError,
    );
    expect(() => assertTransition(['stored'], 'exported')).toThrow(
      'A document cannot move from stored to exported.',
    );
    expect(() => assertTransition([], 'queued')).toThrow(IllegalStatusTransitionError);
  });

  it('statusesMovingTo lists exactly the statuses the table lets reach a status', () => {
    expect(statusesMovingTo('queued')).toEqual([
      'stored',
      'queued',
      'extracting',
      'extracted',
      'needs_review',
      'failed',
      'validated',
    ]);
    expect(statusesMovingTo('exported')).toEqual(['validated']);
  });
});
