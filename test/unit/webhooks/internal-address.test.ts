import { describe, expect, it } from 'vitest';
import { isInternalAddress } from '../../../src/modules/webhooks/internal-address.js';
import { resolveDeliveryTarget } from '../../../src/modules/webhooks/webhook-target.js';

// Each internal address is written the way an attacker would put it in a webhook URL.
const INTERNAL: readonly (readonly [string, string])[] = [
  ['IPv4 loopback', '127.0.0.1'],
  ['IPv4 metadata service', '169.254.169.254'],
  ['IPv4 private', '10.1.2.3'],
  ['IPv6 loopback', '::1'],
  ['IPv6 unspecified', '::'],
  ['IPv4-compatible loopback (hex)', '::7f00:1'],
  ['IPv4-compatible loopback (dotted)', '::127.0.0.1'],
  ['IPv4-compatible public address (deprecated form)', '::8.8.8.8'],
  ['IPv4-mapped loopback', '::ffff:127.0.0.1'],
  ['IPv4-mapped loopback (hex)', '::ffff:7f00:1'],
  ['IPv4-translated loopback', '::ffff:0:7f00:1'],
  ['IPv4-translated metadata service', '::ffff:0:169.254.169.254'],
  ['NAT64 well-known prefix to loopback', '64:ff9b::7f00:1'],
  ['NAT64 well-known prefix to metadata service', '64:ff9b::a9fe:a9fe'],
  ['NAT64 local-use prefix', '64:ff9b:1::a9fe:a9fe'],
  ['6to4 metadata service', '2002:a9fe:a9fe::'],
  ['6to4 loopback', '2002:7f00:1::'],
  ['6to4 private', '2002:0a00:0001::1'],
  ['Teredo with a loopback server', '2001:0:7f00:1::1'],
  ['Teredo with a private client', '2001:0:808:808::f5ff:fffe'],
  ['ISATAP with a private IPv4', '2a00:1450:4001::5efe:10.0.0.1'],
  ['site-local (deprecated)', 'fec0::1'],
  ['unique-local', 'fd00::1'],
  ['link-local', 'fe80::1'],
  ['link-local with a zone index', 'fe80::1%eth0'],
  ['multicast', 'ff02::1'],
  ['discard prefix', '100::1'],
  ['documentation', '2001:db8::1'],
  ['documentation (RFC 9637)', '3fff::1'],
  ['ORCHIDv2', '2001:20::1'],
  ['6bone', '3ffe::1'],
  ['SRv6 SIDs', '5f00::1'],
  ['not an address', 'example.com'],
];

const PUBLIC: readonly (readonly [string, string])[] = [
  ['IPv4 public', '8.8.8.8'],
  ['IPv4-mapped public', '::ffff:8.8.8.8'],
  ['NAT64 well-known prefix to a public address', '64:ff9b::808:808'],
  ['6to4 public', '2002:808:808::1'],
  ['Teredo with public server and client', '2001:0:4136:e378:8000:63bf:f7f7:f7f7'],
  ['global unicast (Google)', '2001:4860:4860::8888'],
  ['global unicast (Cloudflare)', '2606:4700:4700::1111'],
  ['global unicast with an ISATAP id carrying a public IPv4', '2a00:1450:4001::5efe:8.8.8.8'],
];

describe('webhook SSRF guard', () => {
  it.each(INTERNAL)(
    'refuses %s (%s), including every IPv6 form that embeds an internal IPv4',
    (_, address) => {
      expect(isInternalAddress(address)).toBe(true);
    },
  );

  it.each(PUBLIC)('allows %s (%s)', (_, address) => {
    expect(isInternalAddress(address)).toBe(false);
  });

  it.each(INTERNAL.filter(([, a]) => a.includes(':') && !a.includes('%')))(
    'refuses a webhook URL whose host is %s ([%s]) as the URL parser normalises it',
    async (_, address) => {
      await expect(resolveDeliveryTarget(`https://[${address}]/hook`, false)).rejects.toMatchObject({
        status: 400,
      });
    },
  );

  it('accepts a webhook URL with a public IPv6 literal', async () => {
    await expect(resolveDeliveryTarget('https://[2606:4700:4700::1111]/hook', false)).resolves.toMatchObject({
      address: '2606:4700:4700::1111',
      family: 6,
    });
  });
});
