import { RUNTIME_ROLE } from '../../src/platform/db/migrations.js';

/** The runtime role's password in test databases; with trust authentication it is ignored. */
const TEST_RUNTIME_PASSWORD = 'doklad-test-runtime';

export function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** The same server and database, connected as the non-owner runtime role. */
export function runtimeDatabaseUrl(adminUrl: string, database: string): string {
  const url = new URL(databaseUrl(adminUrl, database));
  url.username = RUNTIME_ROLE;
  url.password = TEST_RUNTIME_PASSWORD;
  return url.toString();
}
