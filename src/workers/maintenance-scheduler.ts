/**
 * Keeps the maintenance schedules registered. BullMQ job schedulers live only in Redis: after
 * Redis restarts empty (or loses its keys) the reconciler, webhook relay, retention sweep, purge,
 * checkpoints and orphan sweep never run again until some worker registers them, and documents
 * sit in `stored` meanwhile. So every worker checks them when its Redis connection becomes ready
 * (every reconnect) and every `checkIntervalMs`, registers the missing ones (an upsert, so any
 * number of workers agree on one schedule each), and only then reports itself healthy
 * (platform/worker-health.ts), for `/readyz/workers`.
 *
 * Missing schedules are upserted, present ones left alone: re-upserting a schedule whose job is
 * running would only move its next run.
 */
import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { Logger } from '../platform/logger.js';
import type { Redis } from '../platform/redis.js';
import { forgetWorker, recordWorkerHealthy } from '../platform/worker-health.js';
import { auditCheckpointsJob } from '../modules/audit/audit.jobs.js';
import { orphanBlobSweepJob, retentionSweepJob, trashPurgeJob } from '../modules/documents/documents.jobs.js';
import { reconcileExtractionsJob } from '../modules/extractions/extractions.jobs.js';
import { tenantPurgeJob } from '../modules/privacy/privacy.jobs.js';
import { shareLabelsJob } from '../modules/suppliers/suppliers.jobs.js';
import { relayWebhooksJob } from '../modules/webhooks/webhooks.jobs.js';

const MINUTE_MS = 60_000;

/** How often the interval-driven jobs run (the retention sweep keeps its daily time). */
export interface MaintenanceSettings {
  readonly auditCheckpointEveryMs: number;
  readonly orphanBlobSweepEveryMs: number;
  readonly tenantPurgeEveryMs: number;
}

/** Every maintenance schedule: its id (also its job's name) and when it repeats. */
export function maintenanceSchedules(
  settings: MaintenanceSettings,
): readonly { readonly id: string; readonly repeat: { pattern: string; tz: string } | { every: number } }[] {
  return [
    { id: retentionSweepJob.name, repeat: { pattern: '15 2 * * *', tz: 'UTC' } },
    // Hourly: a firm's withdrawn training consent stops counting within the hour.
    { id: shareLabelsJob.name, repeat: { pattern: '40 * * * *', tz: 'UTC' } },
    { id: trashPurgeJob.name, repeat: { every: 60 * MINUTE_MS } },
    { id: reconcileExtractionsJob.name, repeat: { every: MINUTE_MS } },
    { id: relayWebhooksJob.name, repeat: { every: MINUTE_MS } },
    { id: auditCheckpointsJob.name, repeat: { every: settings.auditCheckpointEveryMs } },
    { id: orphanBlobSweepJob.name, repeat: { every: settings.orphanBlobSweepEveryMs } },
    { id: tenantPurgeJob.name, repeat: { every: settings.tenantPurgeEveryMs } },
  ];
}

/** Registers the schedules; upserting keeps exactly one schedule per job however many workers start. */
async function scheduleMaintenance(queue: Queue, settings: MaintenanceSettings): Promise<void> {
  for (const { id, repeat } of maintenanceSchedules(settings)) {
    await queue.upsertJobScheduler(id, repeat, { name: id });
  }
}

export interface MaintenanceScheduler {
  /** Checks now (also what the timer and reconnects do); resolves with the schedules it re-registered. */
  ensure(): Promise<string[]>;
  /** Stops checking and withdraws this worker's health entry. */
  stop(): Promise<void>;
}

export async function keepMaintenanceScheduled(
  queue: Queue,
  settings: MaintenanceSettings,
  options: { checkIntervalMs: number; redis: Redis; keyPrefix: string; logger: Logger },
): Promise<MaintenanceScheduler> {
  const workerId = randomUUID();
  // Three missed checks before the entry lapses: one slow check does not flap readiness.
  const healthTtlMs = options.checkIntervalMs * 3;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<string[]> | undefined;

  async function check(): Promise<string[]> {
    const registered: string[] = [];
    for (const { id, repeat } of maintenanceSchedules(settings)) {
      if (await queue.getJobScheduler(id)) continue;
      await queue.upsertJobScheduler(id, repeat, { name: id });
      registered.push(id);
    }
    if (registered.length > 0 && !stopped)
      options.logger.warn({ schedules: registered }, 'maintenance schedules were missing; registered again');
    if (!stopped) await recordWorkerHealthy(options.redis, options.keyPrefix, workerId, healthTtlMs);
    return registered;
  }

  /** One check at a time; a check asked for while one runs joins it. */
  function ensure(): Promise<string[]> {
    running ??= check()
      .catch((error: unknown) => {
        // Redis down: no health entry is written, so readiness lapses; the next check retries.
        options.logger.warn({ err: error }, 'could not check the maintenance schedules');
        return [];
      })
      .finally(() => (running = undefined));
    return running;
  }

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => void ensure().finally(schedule), options.checkIntervalMs);
  };
  // ioredis emits 'ready' on every (re)connection; a Redis that restarted has likely lost the
  // schedules, so check at once rather than at the next tick.
  const onReady = () => void ensure();
  options.redis.on('ready', onReady);

  // First registration: every schedule is upserted, so changed intervals take effect on deploy.
  await scheduleMaintenance(queue, settings);
  await ensure();
  schedule();

  return {
    ensure,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      options.redis.off('ready', onReady);
      await running;
      await forgetWorker(options.redis, options.keyPrefix, workerId).catch(() => undefined);
    },
  };
}
