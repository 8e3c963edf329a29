/**
 * Which network addresses count as public: the rule `direct` applies before
 * it lets git connect anywhere. Not public are the ranges the IANA special-
 * purpose registries mark as not globally reachable — unspecified, loopback,
 * private (RFC 1918, unique local fc00::/7), shared (100.64/10), link-local,
 * documentation and benchmarking ranges, multicast and reserved — and IPv6
 * forms that carry an IPv4 address (mapped, NAT64, 6to4) when that address
 * is not public.
 */
import { BlockList, isIP, isIPv4 } from 'node:net';

const NOT_PUBLIC_V4: Array<[string, number]> = [
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
];

const NOT_PUBLIC_V6: Array<[string, number]> = [
  ['::', 128],
  ['::1', 128],
  ['100::', 64],
  ['2001::', 23],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
];

const notPublic = new BlockList();
for (const [network, prefix] of NOT_PUBLIC_V4) notPublic.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of NOT_PUBLIC_V6) notPublic.addSubnet(network, prefix, 'ipv6');

/** The IPv4 address an IPv6 address carries (::ffff:a.b.c.d, 64:ff9b::/96, 2002::/16), if any. */
function embeddedIPv4(address: string): string | null {
  const words = expandIPv6(address);
  if (!words) return null;
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  const zero = (from: number, to: number) => words.slice(from, to).every((w) => w === 0);
  if (zero(0, 5) && words[5] === 0xffff) return v4(words[6]!, words[7]!);
  if (words[0] === 0x64 && words[1] === 0xff9b && zero(2, 6)) return v4(words[6]!, words[7]!);
  if (words[0] === 0x2002) return v4(words[1]!, words[2]!);
  return null;
}

/** The eight 16-bit words of an IPv6 address (a dotted IPv4 tail included); null when malformed. */
function expandIPv6(address: string): number[] | null {
  let text = address.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const part = (s: string | undefined) => (s ? s.split(':').map((w) => Number.parseInt(w, 16)) : []);
  const left = part(head);
  const right = part(tail);
  const words = tail === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  return words.length === 8 && words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffff) ? words : null;
}

/** True when an IP address is globally reachable (see the rule above). */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return !notPublic.check(address, 'ipv4');
  if (family !== 6) return false;
  const carried = embeddedIPv4(address);
  if (carried !== null && !isPublicAddress(carried)) return false;
  return !notPublic.check(address, 'ipv6');
}

/** An address or range of `direct.allowInternal`: "10.0.0.0/8", "fd00::/8", "127.0.0.1". */
export type AddressRange = { network: string; prefix: number; family: 'ipv4' | 'ipv6' };

/** Parses "address" or "address/prefix"; null when the text is not one. */
export function parseAddressRange(text: string): AddressRange | null {
  const [network, prefixText, extra] = text.split('/');
  if (extra !== undefined || network === undefined) return null;
  const family = isIP(network);
  if (family === 0) return null;
  const bits = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? bits : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
  if (!(prefix >= 0 && prefix <= bits)) return null;
  return { network, prefix, family: family === 4 ? 'ipv4' : 'ipv6' };
}

/** A set of address ranges that answers whether an address is in one of them. */
export function addressSet(ranges: AddressRange[]): (address: string) => boolean {
  const list = new BlockList();
  for (const range of ranges) list.addSubnet(range.network, range.prefix, range.family);
  return (address) => {
    const family = isIP(address);
    if (family === 0) return false;
    if (list.check(address, family === 4 ? 'ipv4' : 'ipv6')) return true;
    // An IPv4-mapped IPv6 address is the IPv4 address for this purpose.
    const carried = family === 6 ? embeddedIPv4(address) : null;
    return carried !== null && isIPv4(carried) && list.check(carried, 'ipv4');
  };
}
