/**
 * What `direct` may reach. A public module path is chosen by whoever asks
 * for it, so without a rule `direct` would be a probe of the proxy's own
 * network for anyone who can reach its port. The rule, as a corporate proxy
 * needs it:
 *
 * - `direct.vcs` (GOVCS syntax) says which paths `direct` may fetch with git
 *   at all ("off" for none);
 * - a repository host given as an IP address is refused, and a host name
 *   must resolve to public addresses only (see addresses.ts), unless
 *   `direct.allowInternal` names the host, or holds the address or range;
 * - the addresses checked are the ones git connects to: they are pinned
 *   (curl's CURLOPT_RESOLVE through git's http.curloptResolve), so a DNS
 *   answer that changes between the check and the connection (DNS
 *   rebinding) is not used. ssh URLs (only from the settings' host map)
 *   cannot be pinned: ssh resolves the name again.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { proxyError } from '../../errors.ts';
import { checkPatterns, govcsAllows, matchPrefixPatterns, parseGovcs, type VcsRule } from '../../protocol/index.ts';
import { addressSet, isPublicAddress, parseAddressRange, type AddressRange } from './addresses.ts';

export type DirectSettings = {
  /** GOVCS syntax: which public paths `direct` may fetch with git. */
  vcs: string;
  /** Host name globs, IP addresses and CIDR ranges `direct` may reach although they are not public. */
  allowInternal: string[];
};

/** Where git may connect for one repository host: the checked addresses, or null when the host is trusted by name. */
export type CheckedHost = { host: string; addresses: string[] | null };

export type Resolver = (host: string) => Promise<string[]>;

const resolveAll: Resolver = async (host) => (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);

/** Splits direct.allowInternal into address ranges and host name globs; throws on an entry that is neither. */
export function parseAllowInternal(entries: string[]): { ranges: AddressRange[]; names: string[] } {
  const ranges: AddressRange[] = [];
  const names: string[] = [];
  for (const entry of entries) {
    const range = parseAddressRange(entry);
    if (range) {
      ranges.push(range);
      continue;
    }
    // What looks like an address but is not one is a mistake, not a host name.
    const looksLikeAddress = entry.includes('/') || entry.includes(':') || /^[\d.]+$/.test(entry);
    if (looksLikeAddress || entry === '') {
      throw new Error(`${JSON.stringify(entry)} is neither a host name (glob), an IP address, nor a CIDR range such as 10.0.0.0/8`);
    }
    checkPatterns([entry]);
    names.push(entry.toLowerCase());
  }
  return { ranges, names };
}

export class DirectPolicy {
  private readonly rules: VcsRule[];
  private readonly names: string[];
  private readonly inAllowedRange: (address: string) => boolean;
  private readonly resolve: Resolver;

  constructor(settings: DirectSettings, resolve: Resolver = resolveAll) {
    this.rules = parseGovcs(settings.vcs);
    const { ranges, names } = parseAllowInternal(settings.allowInternal);
    this.names = names;
    this.inAllowedRange = addressSet(ranges);
    this.resolve = resolve;
  }

  /** Refuses (403) a path that direct.vcs does not let git fetch. */
  checkModule(modulePath: string): void {
    if (govcsAllows(this.rules, modulePath, 'git') === false) {
      throw proxyError('FORBIDDEN', `${modulePath}: \`direct\` may not fetch it: direct.vcs does not allow git for this path`);
    }
  }

  /**
   * Checks the host git (or the ?go-get=1 request) is about to connect to; refuses (403) with a
   * reason that names neither the host's addresses nor why they failed — those are in the error's
   * cause, for the log.
   */
  async checkHost(modulePath: string, hostname: string): Promise<CheckedHost> {
    const host = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
    if (isIP(host)) {
      if (this.inAllowedRange(host)) return { host, addresses: [host] };
      throw proxyError('FORBIDDEN', `${modulePath}: \`direct\` does not fetch from a git host given as an IP address (direct.allowInternal can allow it)`, new Error(`IP address ${host}`));
    }
    if (this.names.length > 0 && matchPrefixPatterns(this.names, host)) return { host, addresses: null };
    let addresses: string[];
    try {
      addresses = await this.resolve(host);
    } catch (err) {
      throw proxyError('UPSTREAM_FAILED', `${modulePath}: its git host cannot be reached (name not resolved)`, err);
    }
    const refused = addresses.filter((a) => !isPublicAddress(a) && !this.inAllowedRange(a));
    if (addresses.length === 0 || refused.length > 0) {
      throw proxyError(
        'FORBIDDEN',
        `${modulePath}: \`direct\` does not connect to its git host: it is not a public address (internal hosts need direct.allowInternal, or the module in private)`,
        new Error(`${host} resolves to ${addresses.join(', ') || 'nothing'}`),
      );
    }
    return { host, addresses };
  }
}

/** git configuration that makes curl connect to the checked addresses only (no second DNS answer). */
export function pinnedResolve(checked: CheckedHost, url: URL): Record<string, string> {
  if (checked.addresses === null || isIP(checked.host) || !url.protocol.startsWith('http')) return {};
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const list = checked.addresses.map((a) => (a.includes(':') ? `[${a}]` : a)).join(',');
  return { 'http.curloptResolve': `${checked.host}:${port}:${list}` };
}

/** A lookup for node's sockets that answers with the checked addresses only. */
export function pinnedLookup(checked: CheckedHost): LookupFunction | undefined {
  const addresses = checked.addresses;
  if (addresses === null || isIP(checked.host)) return undefined;
  return (_hostname, options, callback) => {
    const entries = addresses.map((address) => ({ address, family: isIP(address) }));
    if (options.all) (callback as (err: null, all: typeof entries) => void)(null, entries);
    else callback(null, entries[0]!.address, entries[0]!.family);
  };
}
