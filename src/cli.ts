#!/usr/bin/env node
/**
 * `doklad`: operator commands. Each command builds only what it needs; output for machines is
 * JSON on stdout, messages for people go to stderr, and the exit code says whether it worked.
 */
// First, before anything that loads a native module: refuses an unsupported Node.js.
import './platform/node-version-guard.js';
import { parseArgs } from 'node:util';
import { runAuditFileVerify } from './cli/audit-file-command.js';
import { runExtractCommand } from './cli/extract-command.js';
import { runPlatformAdminCommand } from './cli/platform-admin-command.js';
import { runTenantStatusCommand, runVerifyReceiptCommand } from './cli/tenant-command.js';
import { systemContext } from './core/request-context.js';
import { isUuid } from './core/ids.js';
import { createContainer, type Container } from './container.js';
import type { Config } from './platform/config.js';
import {
  applyMigrations,
  ensureDatabaseExists,
  MigrationError,
  syncRuntimeRolePassword,
} from './platform/db/migrations.js';
import { createLogger } from './platform/logger.js';
import { migrationsDir } from './platform/package-root.js';
import { loadConfigOrExit } from './platform/process.js';

const USAGE = `Usage: doklad <command> [options]

Commands:
  migrate                              Create the database if needed and apply pending migrations
  tenant create --name <name> [--region <region>]
                                       Create a tenant; prints it as JSON
  tenant suspend --tenant <id> --reason <text>
                                       Block every session and integration token of the firm at
                                       once (platform administrators); audited in its chain
  tenant unsuspend --tenant <id>       Lift a suspension
  tenant verify-receipt --file <receipt.json> --public-key <key.pem>
                                       Verify a closed firm's signed erasure receipt offline (no
                                       configuration or database needed); exit 1 naming why not
  audit verify --tenant <id> [--json] [--max-backlog-seconds <n>]
                                       Recompute a tenant's audit hash chain and check its signed
                                       checkpoints; exit 1 naming the first broken event. Events
                                       not chained yet (the worker chains them shortly after
                                       commit) are reported, not checked; exit 3 when the oldest
                                       is older than --max-backlog-seconds (no chainer running?)
  audit verify --file <export.jsonl> --public-key <key.pem> [--json]
                                       Verify an audit export (GET /v1/audit-events/export) offline,
                                       without a database: recompute the chain, check every
                                       checkpoint's signature with the public key (GET
                                       /v1/audit/public-keys); exit 1 naming the first bad event
  audit checkpoint --tenant <id>       Chain the tenant's pending audit events, then sign the
                                       chain head
  platform-admin grant --email <email>
                                       Make the account a platform administrator (queue console at
                                       /admin/queues); its email must be verified. Uses
                                       MIGRATION_DATABASE_URL (the owner's connection)
  platform-admin revoke --email <email>
                                       Take the role away; applies to the next console request
  platform-admin list                  List platform administrators as JSON
  maintenance retention-sweep          Move documents whose retention ended to the trash (all tenants)
  maintenance purge-trash              Purge documents whose time in the trash is over (all tenants)
  maintenance purge-offboarded         Erase closed firms whose grace period is over (blobs, KEK,
                                       rows but the audit chain) and issue their erasure receipts
  maintenance share-labels             Gather the label words of firms whose training consent is
                                       given and share those three firms taught (the hourly job)
  extract <file...>                    Extract invoice data from files offline; one JSON line per
                                       file, exit 1 if any file could not be read
  help                                 Show this text

Configuration comes from the environment (see .env.example).`;

class UsageError extends Error {}

type Args = ReturnType<typeof parse>;

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      region: { type: 'string' },
      tenant: { type: 'string' },
      email: { type: 'string' },
      reason: { type: 'string' },
      file: { type: 'string' },
      'public-key': { type: 'string' },
      json: { type: 'boolean', default: false },
      'max-backlog-seconds': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}

async function migrate(config: Config): Promise<number> {
  const created = await ensureDatabaseExists(config.database.migrationUrl);
  if (created) process.stderr.write('Created the database.\n');
  const report = await applyMigrations(config.database.migrationUrl, migrationsDir());
  if (await syncRuntimeRolePassword(config.database.migrationUrl, config.database.url)) {
    process.stderr.write('Set the runtime role password from DATABASE_URL.\n');
  }
  for (const name of report.applied) process.stderr.write(`Applied ${name}\n`);
  process.stderr.write(
    `Migrations: ${report.applied.length} applied, ${report.alreadyApplied.length} already up to date.\n`,
  );
  return 0;
}

function requireTenant(args: Args): string {
  const tenant = args.values.tenant;
  if (!tenant || !isUuid(tenant)) throw new UsageError('--tenant <uuid> is required');
  return tenant;
}

async function withContainer(config: Config, fn: (c: Container) => Promise<number>): Promise<number> {
  const container = await createContainer(config, createLogger('warn'));
  try {
    return await fn(container);
  } finally {
    await container.close();
  }
}

async function createTenant(config: Config, args: Args): Promise<number> {
  const name = args.values.name;
  if (!name) throw new UsageError('--name <name> is required');
  return withContainer(config, async (c) => {
    const tenant = await c.tenants.createTenant(
      { actor: { kind: 'system', id: 'cli' } },
      { name, region: args.values.region },
    );
    process.stdout.write(`${JSON.stringify(tenant)}\n`);
    return 0;
  });
}

function maxBacklogSeconds(args: Args): number | undefined {
  const value = args.values['max-backlog-seconds'];
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError('--max-backlog-seconds must be a whole number of seconds');
  return Number(value);
}

async function verifyAudit(config: Config, args: Args): Promise<number> {
  const tenantId = requireTenant(args);
  const maxBacklogAge = maxBacklogSeconds(args);
  return withContainer(config, async (c) => {
    const report = await c.audit.verifyChain(systemContext(tenantId));
    if (args.values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
    const { count, oldestOccurredAt } = report.unchained;
    const backlog =
      count === 0
        ? 'No events wait to be chained.\n'
        : `${count} events wait to be chained (not verified yet), the oldest recorded at ${oldestOccurredAt?.toISOString()}.\n`;
    if (report.ok) {
      process.stderr.write(
        `Audit chain of tenant ${tenantId} is intact: ${report.eventsChecked} events, ` +
          `${report.checkpointsChecked} signed checkpoints verified` +
          (report.head ? `, head #${report.head.seq} ${report.head.hash}.\n` : '.\n') +
          backlog,
      );
      const backlogAgeMs = oldestOccurredAt ? Date.now() - oldestOccurredAt.getTime() : 0;
      if (maxBacklogAge !== undefined && backlogAgeMs > maxBacklogAge * 1000) {
        process.stderr.write(`The backlog is older than ${maxBacklogAge} s: is the audit chainer running?\n`);
        return 3;
      }
      return 0;
    }
    const first = report.problems[0];
    process.stderr.write(`Audit chain of tenant ${tenantId} is BROKEN.\n`);
    for (const p of report.problems) {
      process.stderr.write(
        `  event #${p.seq}${p.eventId ? ` (id ${p.eventId})` : ''}: ${p.reason}: ${p.message}\n`,
      );
    }
    process.stderr.write(`First broken link: event #${first?.seq}.\n${backlog}`);
    return 1;
  });
}

async function checkpointAudit(config: Config, args: Args): Promise<number> {
  const tenantId = requireTenant(args);
  return withContainer(config, async (c) => {
    // A checkpoint covers chained events only; chain what is pending so it covers them too.
    const { chained } = await c.auditChainer.chainPending(tenantId);
    if (chained > 0) process.stderr.write(`Chained ${chained} pending audit events.\n`);
    const checkpoint = await c.audit.createCheckpoint(systemContext(tenantId));
    process.stdout.write(`${JSON.stringify(checkpoint)}\n`);
    return 0;
  });
}

async function main(argv: string[]): Promise<number> {
  const args = parse(argv);
  const [command, sub] = args.positionals;
  if (args.values.help || !command || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command || args.values.help ? 0 : 2;
  }
  // Extraction is offline work on local files: no configuration or services needed.
  if (command === 'extract') {
    const files = args.positionals.slice(1);
    if (files.length === 0) throw new UsageError('extract needs at least one file');
    return runExtractCommand(files, process.stdout);
  }
  // Verifying a receipt is offline work on two files: no configuration or services needed.
  if (command === 'tenant' && sub === 'verify-receipt') {
    const { file, 'public-key': publicKey } = args.values;
    if (!file || !publicKey)
      throw new UsageError('--file <receipt.json> and --public-key <key.pem> are required');
    return runVerifyReceiptCommand({ receipt: file, publicKey }, process.stdout, process.stderr);
  }
  // Offline verification of an export: the file and the public key, nothing else.
  if (command === 'audit' && sub === 'verify' && args.values.file !== undefined) {
    const publicKeyFile = args.values['public-key'];
    if (!publicKeyFile) throw new UsageError('audit verify --file needs --public-key <key.pem>');
    return runAuditFileVerify(
      { file: args.values.file, publicKeyFile, json: args.values.json },
      process.stdout,
      process.stderr,
    );
  }
  const config = loadConfigOrExit();
  if (command === 'migrate') return migrate(config);
  if (command === 'tenant' && sub === 'create') return createTenant(config, args);
  if (command === 'tenant' && (sub === 'suspend' || sub === 'unsuspend')) {
    const tenantId = requireTenant(args);
    const reason = args.values.reason?.trim();
    if (sub === 'suspend' && (!reason || reason.length > 500))
      throw new UsageError('--reason <text> (1-500 characters) is required');
    return withContainer(config, (c) =>
      runTenantStatusCommand(c, { action: sub, tenantId, reason }, process.stdout, process.stderr),
    );
  }
  if (command === 'maintenance' && sub === 'purge-offboarded') {
    return withContainer(config, async (c) => {
      process.stdout.write(`${JSON.stringify(await c.offboarding.purgeDue())}\n`);
      return 0;
    });
  }
  if (command === 'maintenance' && sub === 'share-labels') {
    return withContainer(config, async (c) => {
      process.stdout.write(`${JSON.stringify(await c.sharedLabels.gather())}\n`);
      return 0;
    });
  }
  if (command === 'audit' && sub === 'verify') return verifyAudit(config, args);
  if (command === 'audit' && sub === 'checkpoint') return checkpointAudit(config, args);
  if (command === 'platform-admin' && (sub === 'grant' || sub === 'revoke' || sub === 'list')) {
    return runPlatformAdminCommand(
      { action: sub, email: args.values.email },
      config.database.migrationUrl,
      process.stdout,
      process.stderr,
    );
  }
  if (command === 'maintenance' && (sub === 'retention-sweep' || sub === 'purge-trash')) {
    return withContainer(config, async (c) => {
      const report =
        sub === 'retention-sweep' ? await c.lifecycle.sweepRetention() : await c.lifecycle.purgeTrash();
      process.stdout.write(`${JSON.stringify(report)}\n`);
      return 0;
    });
  }
  throw new UsageError(`Unknown command: ${args.positionals.join(' ')}`);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
      process.exit(2);
    }
    if (error instanceof MigrationError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`doklad: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
