/**
 * A chainer in its own process, for the test that kills one mid-chaining:
 *   node --import tsx test/helpers/chain-audit-backlog.ts <database url> <tenant id> <batch size>
 * Chains the tenant's whole backlog in batches, one transaction each, until killed or done.
 */
import { createAuditChainer } from '../../src/modules/audit/audit.chainer.js';
import { openDb } from '../../src/platform/db/db.js';
import { createLogger } from '../../src/platform/logger.js';

const [databaseUrl, tenantId, batchSize] = process.argv.slice(2);
if (!databaseUrl || !tenantId || !batchSize)
  throw new Error('usage: <database url> <tenant id> <batch size>');
const db = openDb(databaseUrl, 1);
await db.ping();
process.stdout.write('started\n');
const chainer = createAuditChainer({ db, logger: createLogger('warn'), batchSize: Number(batchSize) });
const result = await chainer.chainPending(tenantId);
process.stdout.write(`${JSON.stringify({ chained: result.chained })}\n`);
await db.close();
