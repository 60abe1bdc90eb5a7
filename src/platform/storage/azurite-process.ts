/**
 * Starts Azurite's blob service from the npm package, in memory, for development and tests
 * (used only when no AZURE_STORAGE_CONNECTION_STRING is configured).
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../free-port.js';

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

/** Starts Azurite on the given port (a free one when 0) and resolves once it accepts requests. */
export async function startAzurite(options: { port?: number } = {}): Promise<AzuriteProcess> {
  const port = options.port || (await freePort());
  const workspace = await mkdtemp(path.join(tmpdir(), 'doklad-azurite-'));
  const child = spawn(
    process.execPath,
    [
      azuriteBlobMain(),
      '--inMemoryPersistence',
      '--skipApiVersionCheck',
      '--disableTelemetry',
      '--silent',
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      String(port),
    ],
    // In-memory mode refuses --location; a private working directory keeps any stray files
    // (debug logs) out of the repository.
    { cwd: workspace, stdio: ['ignore', 'pipe', 'pipe'] },
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
      await rm(workspace, { recursive: true, force: true });
    },
  };
}
