import type { Config } from '../config.js';
import { createAresClient, type AresClient } from './ares-client.js';
import { createViesClient, type ViesClient } from './vies-client.js';

/** The registry clients switched on in the configuration; none by default. */
export function registryLookupsFromConfig(
  registries: Config['registries'],
): { ares?: AresClient; vies?: ViesClient } | undefined {
  const { timeoutMs } = registries;
  const lookups: { ares?: AresClient; vies?: ViesClient } = {};
  if (registries.aresEnabled) lookups.ares = createAresClient({ baseUrl: registries.aresBaseUrl, timeoutMs });
  if (registries.viesEnabled) lookups.vies = createViesClient({ baseUrl: registries.viesBaseUrl, timeoutMs });
  return lookups.ares || lookups.vies ? lookups : undefined;
}
