/**
 * One owner for the document status: every move goes through `moveStatus`, which refuses a move
 * the lifecycle table does not allow, and a move another writer raced ahead of, changing nothing.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { IllegalStatusTransitionError } from '../../../src/modules/documents/documents.status.js';
import { createTestTenant } from '../../helpers/tenants.js';
import { useTestEnv } from '../../helpers/test-env.js';

const env = useTestEnv({ app: false });

async function uploadedDocument() {
  const { ctx } = await createTestTenant(env);
  const { document } = await env.container.uploads.upload(ctx, {
    source: Readable.from([Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(2048)])]),
    filename: 'status.pdf',
    metadata: async () => ({}),
  });
  return { ctx, id: document.id };
}

async function rowOf(id: string) {
  const { rows } = await env.adminQuery(
    'SELECT status, processing_run_id::text AS run_id, updated_at, failure_reason FROM documents WHERE id = $1',
    [id],
  );
  return rows[0] as { status: string; run_id: string; updated_at: Date; failure_reason: string | null };
}

describe('document status moves', () => {
  it('records an upload queued with its first run', async () => {
    const { id } = await uploadedDocument();
    const row = await rowOf(id);
    expect(row.status).toBe('queued');
    expect(row.run_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses a move the lifecycle does not allow, before any SQL, and changes nothing', async () => {
    const { ctx, id } = await uploadedDocument();
    const before = await rowOf(id);
    await expect(
      env.container.db.withTenant(ctx, (tx) =>
        env.container.documents.moveStatus(tx, ctx, id, 'queued', 'validated'),
      ),
    ).rejects.toBeInstanceOf(IllegalStatusTransitionError);
    await expect(
      env.container.db.withTenant(ctx, (tx) =>
        env.container.documents.moveStatus(tx, ctx, id, ['queued', 'failed'], 'exported'),
      ),
    ).rejects.toThrow('A document cannot move from queued | failed to exported.');
    expect(await rowOf(id)).toEqual(before);
  });

  it('refuses a move from a status the document is no longer in, or for a run that is not its own', async () => {
    const { ctx, id } = await uploadedDocument();
    const before = await rowOf(id);
    const moved = await env.container.db.withTenant(ctx, (tx) =>
      env.container.documents.moveStatus(tx, ctx, id, 'extracting', 'failed', {
        set: { failureReason: 'x' },
      }),
    );
    expect(moved).toBe(false);
    const otherRun = await env.container.db.withTenant(ctx, (tx) =>
      env.container.documents.moveStatus(tx, ctx, id, 'queued', 'extracting', {
        runId: '00000000-0000-4000-8000-000000000000',
      }),
    );
    expect(otherRun).toBe(false);
    expect(await rowOf(id)).toEqual(before);
  });

  it('lets exactly one of two racing moves from the same status win; the loser changes nothing', async () => {
    const { ctx, id } = await uploadedDocument();
    const { run_id: runId } = await rowOf(id);
    const { db, documents } = env.container;
    let loser: Promise<boolean> | undefined;
    // A worker takes the job (queued -> extracting) and, while its transaction is still open, the
    // producer's timed-out enqueue tries to put the document back (queued -> stored): the second
    // UPDATE waits for the first's row lock, then finds the document no longer queued.
    const winner = await db.withTenant(ctx, async (tx) => {
      const moved = await documents.moveStatus(tx, ctx, id, 'queued', 'extracting', { runId });
      loser = db.withTenant(ctx, (other) =>
        documents.moveStatus(other, ctx, id, 'queued', 'stored', { runId }),
      );
      await new Promise((resolve) => setTimeout(resolve, 300)); // the loser is waiting on the lock
      return moved;
    });
    expect(winner).toBe(true);
    expect(await loser).toBe(false);
    const after = await rowOf(id);
    expect(after.status).toBe('extracting');
    expect(after.run_id).toBe(runId);
  });
});
