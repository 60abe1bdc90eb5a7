/**
 * A PostgreSQL LISTEN connection of its own (pooled connections cannot listen: they change hands
 * between transactions). It reconnects with a growing delay after any failure and reports whether
 * it is listening right now, so that a consumer can refuse to trust what it might have missed:
 * notifications sent while no connection listened are lost, and `onReconnect` lets the consumer
 * drop everything it learned before.
 */
import pg from 'pg';
import type { Logger } from '../logger.js';

export interface NotificationListener {
  /** True while a connection is listening: no notification of the channel can be missed. */
  isListening(): boolean;
  close(): Promise<void>;
}

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;

export function listenForNotifications(options: {
  readonly connectionString: string;
  readonly channel: string;
  readonly logger: Logger;
  readonly onNotification: (payload: string) => void;
  /** Called each time listening (re)starts: whatever was sent in the gap is unknown. */
  readonly onListening: () => void;
}): NotificationListener {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(options.channel)) throw new TypeError('invalid channel name');
  let client: pg.Client | undefined;
  let listening = false;
  let closed = false;
  let retryMs = RETRY_MIN_MS;
  let retryTimer: NodeJS.Timeout | undefined;

  const scheduleRetry = () => {
    listening = false;
    if (closed || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void connect();
    }, retryMs);
    retryTimer.unref();
    retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
  };

  async function connect(): Promise<void> {
    const next = new pg.Client({ connectionString: options.connectionString });
    client = next;
    next.on('notification', (message) => {
      if (message.channel === options.channel) options.onNotification(message.payload ?? '');
    });
    next.on('error', (error) => {
      options.logger.warn({ err: error, channel: options.channel }, 'notification connection failed');
      void next.end().catch(() => undefined);
      scheduleRetry();
    });
    next.on('end', () => {
      if (client === next) scheduleRetry();
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${options.channel}`);
      if (closed) {
        await next.end();
        return;
      }
      listening = true;
      retryMs = RETRY_MIN_MS;
      options.onListening();
    } catch (error) {
      options.logger.warn({ err: error, channel: options.channel }, 'cannot listen for notifications');
      void next.end().catch(() => undefined);
      scheduleRetry();
    }
  }

  void connect();

  return {
    isListening: () => listening && !closed,
    async close() {
      closed = true;
      listening = false;
      if (retryTimer) clearTimeout(retryTimer);
      await client?.end().catch(() => undefined);
    },
  };
}
