/**
 * The HTTP part every public-registry client shares: one GET with a deadline, a cap on the answer's
 * size, JSON only, and nothing in the request but the identifier in the path (no cookies, no
 * referrer, no requester data). Failures that say nothing about the identifier (timeout, network,
 * 5xx, an answer that is not the documented JSON) are `RegistryUnavailableError`, so a caller can
 * tell "the register says no" from "the register did not answer".
 */

/** Public registry answers are a few kilobytes; anything larger is not the documented answer. */
export const MAX_REGISTRY_RESPONSE_BYTES = 256 * 1024;

export type RegistryFailure = 'timeout' | 'network' | 'status' | 'malformed' | 'too_large';

export class RegistryUnavailableError extends Error {
  constructor(
    readonly registry: string,
    readonly reason: RegistryFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${registry}: ${message}`, options);
    this.name = 'RegistryUnavailableError';
  }
}

export interface RegistryResponse {
  readonly status: number;
  /** The parsed JSON body; undefined when the body was empty. */
  readonly json: unknown;
}

async function readLimited(response: Response, registry: string): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_REGISTRY_RESPONSE_BYTES) {
      await reader.cancel();
      throw new RegistryUnavailableError(registry, 'too_large', 'the answer exceeds the size limit');
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** GETs `url` and parses the JSON answer within `timeoutMs` (connect, headers and body together). */
export async function getRegistryJson(
  registry: string,
  url: URL,
  timeoutMs: number,
  fetchImpl: typeof fetch = fetch,
): Promise<RegistryResponse> {
  const signal = AbortSignal.timeout(timeoutMs);
  let response: Response;
  let text: string;
  try {
    response = await fetchImpl(url, {
      method: 'GET',
      headers: { accept: 'application/json' },
      redirect: 'error',
      referrerPolicy: 'no-referrer',
      credentials: 'omit',
      signal,
    });
    text = await readLimited(response, registry);
  } catch (error) {
    if (error instanceof RegistryUnavailableError) throw error;
    if (signal.aborted)
      throw new RegistryUnavailableError(registry, 'timeout', `no answer within ${timeoutMs} ms`, {
        cause: error,
      });
    throw new RegistryUnavailableError(registry, 'network', 'the register could not be reached', {
      cause: error,
    });
  }
  if (text.trim() === '') return { status: response.status, json: undefined };
  try {
    return { status: response.status, json: JSON.parse(text) as unknown };
  } catch (error) {
    throw new RegistryUnavailableError(registry, 'malformed', `answer ${response.status} is not JSON`, {
      cause: error,
    });
  }
}
