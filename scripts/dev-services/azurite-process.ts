/**
 * Starts Azurite's blob service from the npm package for development and tests (used only when no
 * AZURE_STORAGE_CONNECTION_STRING is configured): in memory by default (tests), or on disk under a
 * given directory (`npm run dev`, so that a restart keeps the documents PostgreSQL still lists).
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.js';

export interface AzuriteProcess {
  readonly connectionString: string;
  readonly port: number;
  /** The Azurite process, for benchmarks that account for its CPU time. */
  readonly pid: number;
  stop(): Promise<void>;
}

const ACCOUNT = 'devstoreaccount1';
/** Azurite's fixed, publicly documented development key. */
const ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const STARTUP_TIMEOUT_MS = 30_000;

export function azuriteConnectionString(port: number, host = '127.0.0.1'): string {
  return (
    `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${ACCOUNT_KEY};` +
    `BlobEndpoint=http://${host}:${port}/${ACCOUNT};`
  );
}

function azuriteBlobMain(): string {
  const packageJson = createRequire(import.meta.url).resolve('azurite/package.json');
  return path.join(path.dirname(packageJson), 'dist', 'src', 'blob', 'main.js');
}

export interface AzuriteOptions {
  /** The port to listen on (a free one when absent or 0). */
  readonly port?: number;
  /** Keep blobs and their metadata in this directory (created if missing); in memory when absent. */
  readonly location?: string;
  /**
   * Run Azurite in its own process group, so a terminal's Ctrl-C reaches only the parent, which
   * stops Azurite itself once nothing writes to it any more (the development stack does this).
   */
  readonly ownProcessGroup?: boolean;
}

/** Starts Azurite and resolves once it accepts requests. */
export async function startAzurite(options: AzuriteOptions = {}): Promise<AzuriteProcess> {
  const port = options.port || (await freePort());
  if (options.location) await mkdir(options.location, { recursive: true });
  // In-memory mode refuses --location; a private working directory keeps any stray files (debug
  // logs) out of the repository.
  const workspace = options.location
    ? path.resolve(options.location)
    : await mkdtemp(path.join(tmpdir(), 'doklad-azurite-'));
  const persistence = options.location ? ['--location', workspace] : ['--inMemoryPersistence'];
  const child = spawn(
    process.execPath,
    [
      azuriteBlobMain(),
      ...persistence,
      '--skipApiVersionCheck',
      '--disableTelemetry',
      '--silent',
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      String(port),
    ],
    { cwd: workspace, stdio: ['ignore', 'pipe', 'pipe'], detached: options.ownProcessGroup ?? false },
  );

  await new Promise<void>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => fail(new Error(`Azurite did not start within ${STARTUP_TIMEOUT_MS} ms`)),
      STARTUP_TIMEOUT_MS,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('successfully listens on')) done();
    };
    const onExit = (code: number | null) =>
      fail(new Error(`Azurite exited with code ${code}: ${output.trim()}`));
    function done() {
      cleanup();
      resolve();
    }
    function fail(error: Error) {
      cleanup();
      child.kill('SIGKILL');
      reject(error);
    }
    function cleanup() {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.stderr.off('data', onData);
      child.off('exit', onExit);
    }
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', onExit);
  });

  return {
    connectionString: azuriteConnectionString(port),
    port,
    pid: child.pid as number,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      if (!options.location) await rm(workspace, { recursive: true, force: true });
    },
  };
}
