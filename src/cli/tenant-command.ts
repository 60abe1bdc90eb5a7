import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { AppError } from '../core/errors.js';
import { systemContext } from '../core/request-context.js';
import type { Container } from '../container.js';
import { verifyErasureReceipt } from '../modules/privacy/erasure-receipt.js';

interface Output {
  write(text: string): unknown;
}

/** Who runs an operator command, as audit events name them: `cli:<OS user>`. */
export function cliActor(by?: string) {
  return { kind: 'system' as const, id: by ?? `cli:${userInfo().username}` };
}

/**
 * `doklad tenant suspend --tenant <id> --reason <text>` / `doklad tenant unsuspend --tenant <id>`.
 * A platform administrator's command: it blocks (or lifts the block on) every session and
 * integration token of the firm; the database tells every API process's principal cache at once.
 * Prints the tenant's new status as JSON; exit 1 when the move is not allowed (e.g. already
 * suspended), naming why.
 */
export async function runTenantStatusCommand(
  container: Pick<Container, 'tenants'>,
  command: { action: 'suspend' | 'unsuspend'; tenantId: string; reason?: string | undefined; by?: string },
  out: Output,
  err: Output,
): Promise<number> {
  const ctx = systemContext(command.tenantId, cliActor(command.by));
  try {
    const tenant =
      command.action === 'suspend'
        ? await container.tenants.suspendTenant(ctx, command.reason ?? '')
        : await container.tenants.unsuspendTenant(ctx);
    out.write(
      `${JSON.stringify({ id: tenant.id, status: tenant.status, statusChangedAt: tenant.statusChangedAt })}\n`,
    );
    err.write(
      command.action === 'suspend'
        ? 'Suspended: every session and integration token of the firm is refused from the next request.\n'
        : 'Suspension lifted: the firm works again.\n',
    );
    return 0;
  } catch (error) {
    if (error instanceof AppError && error.status < 500) {
      err.write(`${error.detail}\n`);
      return 1;
    }
    throw error;
  }
}

/**
 * `doklad tenant verify-receipt --file receipt.json --public-key key.pem`: offline, no
 * configuration or database. Exit 0 when the signature holds, 1 naming why not.
 */
export async function runVerifyReceiptCommand(
  files: { receipt: string; publicKey: string },
  out: Output,
  err: Output,
): Promise<number> {
  const [text, publicKeyPem] = await Promise.all([
    readFile(files.receipt, 'utf8'),
    readFile(files.publicKey, 'utf8'),
  ]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    err.write('The receipt file is not JSON.\n');
    return 1;
  }
  const result = verifyErasureReceipt(parsed, publicKeyPem);
  if (!result.ok) {
    err.write(`The erasure receipt does NOT verify: ${result.reason}.\n`);
    return 1;
  }
  const { receipt } = result;
  out.write(
    `${JSON.stringify({ ok: true, tenantId: receipt.tenantId, purgedAt: receipt.purgedAt, auditChain: receipt.auditChain })}\n`,
  );
  err.write(
    `Erasure receipt of tenant ${receipt.tenantId} verifies: purged at ${receipt.purgedAt}, ` +
      `${receipt.destroyed.blobs.deleted} blobs deleted, key ${receipt.destroyed.keyEncryptionKey.keyRef ?? '(none)'} destroyed, ` +
      `audit chain head #${receipt.auditChain.headSeq} ${receipt.auditChain.headHash}.\n`,
  );
  return 0;
}
