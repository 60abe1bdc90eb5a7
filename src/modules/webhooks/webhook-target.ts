/**
 * Where a webhook may be delivered: never to this platform's own network (SSRF). A URL is refused
 * when its host resolves to a private, loopback, link-local, shared, multicast or reserved
 * address (IPv4 and IPv6, including IPv4-mapped IPv6), unless private targets are explicitly
 * allowed (development). Delivery connects to the very address that was checked, so a DNS answer
 * that changes between check and connect (rebinding) cannot redirect it.
 */
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { ValidationFailedError } from '../../core/errors.js';

const BLOCKED = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  BLOCKED.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
  ['2001:db8::', 32],
] as const) {
  BLOCKED.addSubnet(network, prefix, 'ipv6');
}

/** True for addresses a webhook must never reach. */
export function isInternalAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return isInternalAddress(mapped);
  const family = isIP(address);
  if (family === 0) return true;
  return BLOCKED.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export interface DeliveryTarget {
  readonly url: URL;
  readonly address: string;
  readonly family: 4 | 6;
}

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
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:')) refuse('must use https');
  if (url.username || url.password) refuse('must not contain credentials');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host)
    ? [{ address: host, family: isIP(host) }]
    : await lookup(host, { all: true, verbatim: true }).catch(() => []);
  if (addresses.length === 0) refuse('has a host name that does not resolve');
  if (!allowPrivate && addresses.some((a) => isInternalAddress(a.address)))
    refuse('points to a private, loopback or link-local address');
  const first = addresses[0]!;
  return { url, address: first.address, family: first.family === 6 ? 6 : 4 };
}
