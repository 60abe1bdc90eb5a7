/**
 * Fairness, measured: with 500 documents of firm A queued, a document firm B uploads afterwards
 * is extracted long before A's backlog is through.
 */
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { startWorkers, type RunningWorkers } from '../../../src/workers/start-workers.js';
import { SAMPLE } from '../../unit/extraction/fixtures/invoice-model.js';
import { ublXml } from '../../unit/extraction/fixtures/xml-fixtures.js';
import { createTestTenant } from '../../helpers/tenants.js';
import { useTestEnv } from '../../helpers/test-env.js';

const env = useTestEnv({ app: false, env: { EXTRACTION_CONCURRENCY: '2' } });
let workers: RunningWorkers | undefined;
afterAll(async () => workers?.close());

const BACKLOG = 500;

async function upload(
  ctx: Awaited<ReturnType<typeof createTestTenant>>['ctx'],
  number: string,
): Promise<string> {
  // The upload queues the document's first run, as over HTTP.
  const { document } = await env.container.uploads.upload(ctx, {
    source: Readable.from([Buffer.from(ublXml({ ...SAMPLE, number }))]),
    filename: `${number}.xml`,
    metadata: async () => ({}),
  });
  return document.id;
}

describe('tenant fairness', () => {
  it(`extracts firm B's document before firm A's backlog of ${BACKLOG} is through`, async () => {
    const a = await createTestTenant(env, 'Big firm A');
    const b = await createTestTenant(env, 'Small firm B');
    for (let i = 0; i < BACKLOG; i++) await upload(a.ctx, `A-${i}`);
    const bDocument = await upload(b.ctx, 'B-1');

    workers = await startWorkers(env.container);
    const deadline = Date.now() + 120_000;
    let aDoneWhenBDone: number;
    for (;;) {
      const { rows } = await env.adminQuery(
        `SELECT count(*) FILTER (WHERE tenant_id = $1)::int AS a_done,
                count(*) FILTER (WHERE id = $2)::int AS b_done
           FROM documents WHERE status IN ('extracted', 'needs_review', 'failed')`,
        [a.tenant.id, bDocument],
      );
      if (rows[0].b_done === 1) {
        aDoneWhenBDone = rows[0].a_done;
        break;
      }
      if (Date.now() > deadline) throw new Error('B was not extracted within 2 minutes');
      await new Promise((r) => setTimeout(r, 50));
    }
    // Measured, not assumed: print how far A's backlog was when B's document was done.
    console.log(
      `[fairness] firm A had ${aDoneWhenBDone} of ${BACKLOG} documents extracted when firm B's was done`,
    );
    expect(aDoneWhenBDone).toBeLessThan(BACKLOG * 0.1);
  }, 180_000);
});
