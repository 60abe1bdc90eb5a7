import type { Config } from '../config.js';
import { createAresClient, type AresClient } from './ares-client.js';
import { createViesClient, type ViesClient } from './vies-client.js';

/** The registry clients switched on in the configuration; none by default. */
export function registryLookupsFromConfig(
  config: Pick<
    Config,
    | 'REGISTRY_ARES_ENABLED'
    | 'REGISTRY_VIES_ENABLED'
    | 'ARES_BASE_URL'
    | 'VIES_BASE_URL'
    | 'REGISTRY_TIMEOUT_MS'
  >,
): { ares?: AresClient; vies?: ViesClient } | undefined {
  const timeoutMs = config.REGISTRY_TIMEOUT_MS;
  const lookups: { ares?: AresClient; vies?: ViesClient } = {};
  if (config.REGISTRY_ARES_ENABLED)
    lookups.ares = createAresClient({ baseUrl: config.ARES_BASE_URL, timeoutMs });
  if (config.REGISTRY_VIES_ENABLED)
    lookups.vies = createViesClient({ baseUrl: config.VIES_BASE_URL, timeoutMs });
  return lookups.ares || lookups.vies ? lookups : undefined;
}
