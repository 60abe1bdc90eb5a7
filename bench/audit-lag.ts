/**
 * Audit chain lag: how long events waited between being recorded (`occurred_at`, in the caller's
 * transaction) and being chained by the sequencer (`chained_at`). Older schemas chain in the
 * caller's transaction and have no `chained_at` column; then there is nothing to measure.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';

/** How long to wait for the sequencer to chain the run's last events before measuring. */
const CHAIN_WAIT_MS = 30_000;

export interface ChainLag {
  /** False when the schema has no `chained_at` column. */
  readonly measured: boolean;
  readonly events: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Events of the window still unchained when the wait ended. */
  readonly unchained: number;
}

export async function hasChainedAt(db: pg.Client): Promise<boolean> {
  const { rows } = await db.query<{ present: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM information_schema.columns
                     WHERE table_schema = current_schema() AND table_name = 'audit_events'
                       AND column_name = 'chained_at') AS present`,
  );
  return rows[0]?.present === true;
}

/** Waits (bounded) until the events recorded since `since` are chained, then measures their lag. */
export async function chainLag(db: pg.Client, since: Date): Promise<ChainLag> {
  if (!(await hasChainedAt(db)))
    return {
      measured: false,
      events: 0,
      p50Ms: Number.NaN,
      p99Ms: Number.NaN,
      maxMs: Number.NaN,
      unchained: 0,
    };
  const countUnchained = async () => {
    const { rows } = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM audit_events WHERE occurred_at >= $1 AND chained_at IS NULL',
      [since],
    );
    return rows[0]?.n ?? 0;
  };
  const started = Date.now();
  let unchained = await countUnchained();
  while (unchained > 0 && Date.now() - started < CHAIN_WAIT_MS) {
    await sleep(200);
    unchained = await countUnchained();
  }
  const { rows } = await db.query<{
    events: number;
    p50: number | null;
    p99: number | null;
    max: number | null;
  }>(
    `SELECT count(*)::int AS events,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM chained_at - occurred_at)) * 1000 AS p50,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM chained_at - occurred_at)) * 1000 AS p99,
            max(extract(epoch FROM chained_at - occurred_at)) * 1000 AS max
       FROM audit_events
      WHERE occurred_at >= $1 AND chained_at IS NOT NULL`,
    [since],
  );
  const row = rows[0];
  const value = (v: number | string | null | undefined) =>
    v === null || v === undefined ? Number.NaN : Number(v);
  return {
    measured: true,
    events: row?.events ?? 0,
    p50Ms: value(row?.p50),
    p99Ms: value(row?.p99),
    maxMs: value(row?.max),
    unchained,
  };
}

export function formatLag(lag: ChainLag): string {
  if (!lag.measured) return 'n/a (no chained_at column)';
  if (lag.events === 0)
    return `n/a (no chained events${lag.unchained ? `, ${lag.unchained} unchained` : ''})`;
  return (
    `${lag.p99Ms.toFixed(0)} ms` +
    (lag.unchained > 0 ? ` (${lag.unchained} events still unchained after 30 s)` : '')
  );
}
