/**
 * The client address of a request for the audit trail. X-Forwarded-For is believed only when the
 * peer is one of the configured trusted proxies (trustedProxies, CIDR blocks); then the header is
 * read from the right, skipping addresses of trusted proxies, and the first other address is the
 * client. Anyone else could write any address into the header, so from other peers it is ignored.
 */
import { BlockList, isIP } from 'node:net';

export type ClientAddressOf = (peer: string | undefined, forwardedFor: string | string[] | undefined) => string;

/** An IPv4 address in IPv6 form ("::ffff:10.0.0.1") as the IPv4 address it is. */
function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

export function clientAddressResolver(trustedProxies: readonly string[]): ClientAddressOf {
  if (trustedProxies.length === 0) return (peer) => plainAddress(peer ?? '');
  const trusted = new BlockList();
  for (const block of trustedProxies) {
    const [address = '', bits] = block.split('/');
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) trusted.addAddress(address, type);
    else trusted.addSubnet(address, Number(bits), type);
  }
  const isTrusted = (address: string) => {
    const family = isIP(address);
    return family !== 0 && trusted.check(address, family === 6 ? 'ipv6' : 'ipv4');
  };
  return (peer, forwardedFor) => {
    let client = plainAddress(peer ?? '');
    if (!isTrusted(client) || forwardedFor === undefined) return client;
    const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',').map((hop) => plainAddress(hop.trim()));
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i]!;
      // A hop that is no address ends the chain: the last trusted proxy is all that is known.
      if (isIP(hop) === 0) return client;
      client = hop;
      if (!isTrusted(hop)) return client;
    }
    return client;
  };
}
