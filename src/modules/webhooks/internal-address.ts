/**
 * Which IP addresses a webhook must never reach. IPv4 is a block list of the special-purpose
 * registry (RFC 6890 and successors). IPv6 is an allow list: only global unicast (2000::/3) can be
 * a public host, minus the special-purpose and documentation blocks inside it; every transition
 * form that carries an IPv4 address (IPv4-mapped, IPv4-translated, IPv4-compatible, NAT64, 6to4,
 * Teredo, ISATAP) is judged by the IPv4 address it embeds, because the kernel or a gateway on the
 * way may deliver it to that IPv4 address (`[::ffff:7f00:1]` is loopback, `[2002:a9fe:a9fe::]` is
 * the cloud metadata service through 6to4).
 */
import { BlockList, isIP } from 'node:net';

const BLOCKED_V4 = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  BLOCKED_V4.addSubnet(network, prefix, 'ipv4');
}

/** Special-purpose, deprecated and documentation blocks inside global unicast 2000::/3. */
const BLOCKED_V6 = new BlockList();
for (const [network, prefix] of [
  ['2001::', 23], // IETF protocol assignments (ORCHID, benchmarking, AMT, ...); Teredo is decoded first
  ['2001:db8::', 32], // documentation
  ['3ffe::', 16], // 6bone, returned
  ['3fff::', 20], // documentation (RFC 9637)
] as const) {
  BLOCKED_V6.addSubnet(network, prefix, 'ipv6');
}

/** The eight 16-bit groups of a valid IPv6 address (a trailing dotted quad becomes two groups). */
function ipv6Groups(address: string): number[] {
  let text = address;
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

function ipv4(high: number, low: number): string {
  return `${high >>> 8}.${high & 0xff}.${low >>> 8}.${low & 0xff}`;
}

/**
 * The IPv4 addresses an IPv6 address carries, or null when it is not a transition form.
 * Teredo carries two (server, and the obfuscated client); both must be public.
 */
function embeddedIpv4(g: number[]): string[] | null {
  const [g0, g1, g2, g3, g4, g5, g6, g7] = g as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const zeroTo = (n: number): boolean => g.slice(0, n).every((x) => x === 0);
  if (zeroTo(5) && g5 === 0xffff) return [ipv4(g6, g7)]; // ::ffff:0:0/96 IPv4-mapped
  if (zeroTo(4) && g4 === 0xffff && g5 === 0) return [ipv4(g6, g7)]; // ::ffff:0:0:0/96 IPv4-translated
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return [ipv4(g6, g7)]; // NAT64
  if (g0 === 0x2002) return [ipv4(g1, g2)]; // 6to4
  if (g0 === 0x2001 && g1 === 0) return [ipv4(g2, g3), ipv4(~g6 & 0xffff, ~g7 & 0xffff)]; // Teredo
  return null;
}

/** True for IP addresses a webhook must never reach; anything that is not an IP address counts. */
export function isInternalAddress(address: string): boolean {
  // A zone index (fe80::1%eth0) names a local interface: only link-local addresses carry one.
  if (address.includes('%')) return true;
  const family = isIP(address);
  if (family === 4) return BLOCKED_V4.check(address, 'ipv4');
  if (family !== 6) return true;
  const groups = ipv6Groups(address);
  const embedded = embeddedIpv4(groups);
  if (embedded) return embedded.some((v4) => BLOCKED_V4.check(v4, 'ipv4'));
  // IPv4-compatible (::/96, deprecated), unspecified, loopback, site-local (fec0::/10, deprecated),
  // unique-local, link-local, multicast, local-use NAT64 (64:ff9b:1::/48), discard (100::/64) and
  // every unassigned block all lie outside 2000::/3.
  if ((groups[0]! & 0xe000) !== 0x2000) return true;
  if (BLOCKED_V6.check(address, 'ipv6')) return true;
  // An ISATAP interface id (::0:5efe:a.b.c.d, ::200:5efe:a.b.c.d) tunnels to the IPv4 it carries.
  const [, , , , g4, g5, g6, g7] = groups as [number, number, number, number, number, number, number, number];
  return (g4 & 0xfdff) === 0 && g5 === 0x5efe && BLOCKED_V4.check(ipv4(g6, g7), 'ipv4');
}
