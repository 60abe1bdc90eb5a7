/**
 * Liveness and readiness. `/healthz` answers while the process runs; `/readyz` checks every
 * dependency a request may need and names the ones that are down, so a load balancer stops
 * sending traffic and an operator sees why. `blobContents` goes beyond reachability: a blob store
 * that lost the documents the database lists (wiped, swapped, an in-memory emulator restarted)
 * answers requests fine, yet every download would fail.
 *
 * `/readyz/workers` answers for the background side: ready while at least one worker has
 * recently confirmed that its maintenance schedules exist in Redis (platform/worker-health.ts).
 * It is separate from `/readyz` on purpose: the API serves uploads and reads without workers
 * (documents wait, nothing is lost), so a worker outage must not take the API out of its load
 * balancer; it must alert the operator, which is what this endpoint is for.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

export interface ReadinessCheck {
  readonly name: 'database' | 'redis' | 'blobStorage' | 'blobContents';
  check(): Promise<boolean>;
}

const CHECK_TIMEOUT_MS = 3_000;

const CheckStatus = z.enum(['up', 'down']);
const Readiness = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.object({
    database: CheckStatus,
    redis: CheckStatus,
    blobStorage: CheckStatus,
    blobContents: CheckStatus.describe(
      "down when sampled tenants' newest documents have no blob: the store was wiped or swapped",
    ),
  }),
});

async function runCheck(check: ReadinessCheck): Promise<'up' | 'down'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS);
  });
  try {
    return (await Promise.race([check.check().catch(() => false), timeout])) ? 'up' : 'down';
  } finally {
    clearTimeout(timer);
  }
}

const WorkerReadiness = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.object({ maintenanceSchedules: CheckStatus }),
});

export function healthRoutes(
  checks: readonly ReadinessCheck[],
  workers: { check(): Promise<boolean> },
): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/healthz',
      {
        config: { public: true, rateLimit: false, docs: { touchesDatabase: false } },
        schema: {
          tags: ['health'],
          operationId: 'getHealth',
          summary: 'Liveness: the process is running',
          response: { 200: z.object({ status: z.literal('ok') }) },
        },
      },
      async () => ({ status: 'ok' as const }),
    );

    app.get(
      '/readyz',
      {
        config: { public: true, rateLimit: false },
        schema: {
          tags: ['health'],
          operationId: 'getReadiness',
          summary: 'Readiness: PostgreSQL, Redis and blob storage are reachable, and the blobs are there',
          response: { 200: Readiness, 503: Readiness },
        },
      },
      async (_request, reply) => {
        const results = await Promise.all(checks.map(async (c) => [c.name, await runCheck(c)] as const));
        const statuses = Object.fromEntries(results) as z.infer<typeof Readiness>['checks'];
        const ready = results.every(([, status]) => status === 'up');
        return reply
          .status(ready ? 200 : 503)
          .send({ status: ready ? 'ready' : 'not_ready', checks: statuses });
      },
    );

    app.get(
      '/readyz/workers',
      {
        config: { public: true, rateLimit: false },
        schema: {
          tags: ['health'],
          operationId: 'getWorkerReadiness',
          summary: 'Worker readiness: a worker runs with its maintenance schedules registered',
          response: { 200: WorkerReadiness, 503: WorkerReadiness },
        },
      },
      async (_request, reply) => {
        const status = await runCheck({ name: 'redis', check: () => workers.check() });
        return reply.status(status === 'up' ? 200 : 503).send({
          status: status === 'up' ? 'ready' : 'not_ready',
          checks: { maintenanceSchedules: status },
        });
      },
    );
  };
}
