import { userInfo } from 'node:os';
import {
  createPlatformAdminMaintenance,
  PlatformAdminCommandError,
} from '../modules/auth/platform-admins.service.js';
import { openDb } from '../platform/db/db.js';

export interface PlatformAdminCommand {
  readonly action: 'grant' | 'revoke' | 'list';
  readonly email?: string | undefined;
  /** Who runs the command, recorded with a grant; defaults to `cli:<OS user>`. */
  readonly grantedBy?: string | undefined;
}

/**
 * `doklad platform-admin grant|revoke --email <e>` and `doklad platform-admin list`. Runs on the
 * owner's connection (MIGRATION_DATABASE_URL): the API's runtime role can read the role but never
 * grant it. Prints JSON on `out`, explanations on `err`; exit 1 when the command was refused.
 */
export async function runPlatformAdminCommand(
  command: PlatformAdminCommand,
  ownerDatabaseUrl: string,
  out: { write(text: string): unknown },
  err: { write(text: string): unknown },
): Promise<number> {
  const db = openDb(ownerDatabaseUrl);
  const admins = createPlatformAdminMaintenance(db);
  try {
    if (command.action === 'list') {
      out.write(`${JSON.stringify({ items: await admins.list() })}\n`);
      return 0;
    }
    if (!command.email) throw new PlatformAdminCommandError('--email <address> is required');
    if (command.action === 'grant') {
      const result = await admins.grant(command.email, command.grantedBy ?? `cli:${userInfo().username}`);
      err.write(
        result.granted
          ? 'Granted the platform administrator role. The console also needs TOTP on the account.\n'
          : 'The account already holds the platform administrator role.\n',
      );
      out.write(`${JSON.stringify(result)}\n`);
      return 0;
    }
    const result = await admins.revoke(command.email);
    err.write(
      result.revoked
        ? 'Revoked the platform administrator role; it applies to the next console request.\n'
        : 'The account did not hold the platform administrator role.\n',
    );
    out.write(`${JSON.stringify(result)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof PlatformAdminCommandError) {
      err.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    await db.close();
  }
}
