/**
 * The API's OpenAPI document exactly as a running API serves it at /docs/json, built without a
 * database, Redis or blob store and without listening: the real composition root and the real
 * `buildApp`, pointed at addresses nothing listens on (nothing is connected while routes are
 * registered; the one eager Redis connect fails at once and is closed again). Used by the Redocly
 * lint (`npm run lint`), the generated client types (`npm run api:types`) and the permission
 * matrix (`npm run docs:permissions`), so all three see what integrators see.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app/build-app.js';
import { createContainer } from '../src/container.js';
import { loadConfig } from '../src/platform/config.js';
import { createLogger } from '../src/platform/logger.js';

/** Port 1 (tcpmux) is never served on a developer machine or CI runner: connects fail at once. */
const NOWHERE = '127.0.0.1:1';

/**
 * Builds the app offline, hands it to `use`, and closes everything again. Settings that shape the
 * document (the upload size limit) keep their defaults, as in `npm run dev` and the tests.
 */
export async function withOfflineApp<T>(use: (app: FastifyInstance) => Promise<T>): Promise<T> {
  const keyDir = mkdtempSync(path.join(tmpdir(), 'doklad-openapi-'));
  const config = loadConfig({
    DATABASE_URL: `postgresql://doklad@${NOWHERE}/doklad`,
    REDIS_URL: `redis://${NOWHERE}`,
    AZURE_STORAGE_CONNECTION_STRING: `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${randomBytes(64).toString('base64')};BlobEndpoint=http://${NOWHERE}/devstoreaccount1;`,
    AUDIT_SIGNING_KEY: generateKeyPairSync('ed25519')
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString(),
    AUDIT_SIGNING_KEY_CREATE: 'false',
    LOCAL_KMS_MASTER_KEY: randomBytes(32).toString('base64'),
    LOCAL_KMS_MASTER_KEY_CREATE: 'false',
    LOCAL_KMS_KEY_DIR: keyDir,
    MAIL_TRANSPORT: 'memory',
    LOG_LEVEL: 'silent',
  });
  const container = await createContainer(config, createLogger('silent'));
  try {
    const app = await buildApp(container);
    try {
      await app.ready();
      return await use(app);
    } finally {
      await app.close();
    }
  } finally {
    await container.close();
    rmSync(keyDir, { recursive: true, force: true });
  }
}

/** The document served at /docs/json. */
export async function buildOpenApiDocument(): Promise<Record<string, unknown>> {
  return withOfflineApp(async (app) => {
    const res = await app.inject({ url: '/docs/json' });
    if (res.statusCode !== 200) throw new Error(`/docs/json answered ${res.statusCode}: ${res.body}`);
    return res.json();
  });
}
