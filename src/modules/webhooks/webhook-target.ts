/**
 * Where a webhook may be delivered: never to this platform's own network (SSRF). A URL is refused
 * when its host resolves to a private, loopback, link-local, shared, multicast or reserved
 * address (IPv4 and IPv6, including every IPv6 form that embeds an IPv4 address: see
 * internal-address.ts), unless private targets are explicitly allowed (development). Delivery connects to the very address that was checked, so a DNS answer
 * that changes between check and connect (rebinding) cannot redirect it.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ValidationFailedError } from '../../core/errors.js';
import { isInternalAddress } from './internal-address.js';

export interface DeliveryTarget {
  readonly url: URL;
  readonly address: string;
  readonly family: 4 | 6;
}

/** What changes the refusals below, named in them so an operator knows where to look. */
const PRIVATE_TARGETS_SETTING =
  'allowed only when the server runs with WEBHOOKS_ALLOW_PRIVATE_TARGETS=true, meant for development';

function refuse(message: string): never {
  throw new ValidationFailedError(`The webhook URL ${message}.`, [{ field: 'body.url', message }]);
}

/** Parses and checks a webhook URL, resolving its host; throws a 400 naming the problem. */
export async function resolveDeliveryTarget(raw: string, allowPrivate: boolean): Promise<DeliveryTarget> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return refuse('is not a valid URL');
  }
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:'))
    refuse(`must use https (plain http is ${PRIVATE_TARGETS_SETTING})`);
  if (url.username || url.password) refuse('must not contain credentials');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host)
    ? [{ address: host, family: isIP(host) }]
    : await lookup(host, { all: true, verbatim: true }).catch(() => []);
  if (addresses.length === 0) refuse('has a host name that does not resolve');
  if (!allowPrivate && addresses.some((a) => isInternalAddress(a.address)))
    refuse(`points to a private, loopback or link-local address (${PRIVATE_TARGETS_SETTING})`);
  const first = addresses[0]!;
  return { url, address: first.address, family: first.family === 6 ? 6 : 4 };
}
