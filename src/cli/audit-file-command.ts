/**
 * `doklad audit verify --file <export.jsonl> --public-key <key.pem>`: verifies an audit export
 * with no database, no configuration and no network, only the file and the public key published
 * at GET /v1/audit/public-keys. Exit 0 when intact and fully signed, 1 naming the first problem.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import { verifyExport } from '../modules/audit/audit-offline-verify.js';
import { verifierFromPublicKey } from '../platform/crypto/signing-key.js';

export async function runAuditFileVerify(
  options: { file: string; publicKeyFile: string; json: boolean },
  stdout: Writable,
  stderr: Writable,
): Promise<number> {
  const key = verifierFromPublicKey(await readFile(options.publicKeyFile, 'utf8'));
  const lines = createInterface({ input: createReadStream(options.file, 'utf8'), crlfDelay: Infinity });
  const report = await verifyExport(lines, [key]);
  if (options.json) stdout.write(`${JSON.stringify(report)}\n`);
  if (report.ok) {
    stderr.write(
      `Audit export ${options.file} is intact: tenant ${report.tenantId}, ${report.eventsChecked} events ` +
        (report.firstSeq ? `#${report.firstSeq}..#${report.lastSeq}` : '(none)') +
        `, ${report.checkpointsChecked} checkpoints signed by ${key.keyId} verified` +
        (report.firstSeq && !report.fromGenesis
          ? `; the file starts at #${report.firstSeq}, anchored on its first checkpoint.\n`
          : '.\n'),
    );
    return 0;
  }
  const p = report.problem!;
  stderr.write(
    `Audit export ${options.file} FAILED verification at line ${p.line}` +
      (p.seq ? `, event #${p.seq}` : '') +
      (p.eventId ? ` (id ${p.eventId})` : '') +
      `: ${p.reason}: ${p.message}\n`,
  );
  return 1;
}
