/**
 * Failed sign-ins counted per client address in one-minute windows: past the limit, further
 * attempts from that address are refused without checking them (no bcrypt work for a guesser)
 * until the window ends. Credentials verified before are not affected (they are remembered).
 *
 * The rules a security review asks about:
 * - The count is per address, never per user name: guessing alice's password from one address
 *   cannot lock alice out at another. (The address is the peer, or X-Forwarded-For from a
 *   trusted proxy only, so a client cannot name someone else's address.)
 * - An IPv6 client counts by its /64: one host is usually given a whole /64, and per-address
 *   counting would let it try 2^64 addresses in turn.
 * - The counts live in this process's memory: each replica keeps its own, so behind a load
 *   balancer an address may fail up to limit × replicas times a minute, and a restart forgets
 *   them. Sharing them through storage would make every failed guess a write to the store.
 * - At most MAX_ADDRESSES are remembered: when full, ended windows are forgotten first, then the
 *   oldest that are not over the limit, and only then the oldest of all, so that a flood of new
 *   addresses neither grows memory nor easily frees an address that is held back.
 */
import { isIP } from 'node:net';

const WINDOW_MS = 60_000;
export const MAX_ADDRESSES = 10_000;

type Window = { start: number; count: number };

export class FailedLogins {
  /**
   * Windows under the limit, and those at it (held back), each in the order they were put there:
   * the oldest first, so that making room is a look at the front of one map, never a scan.
   */
  private readonly counting = new Map<string, Window>();
  private readonly heldBack = new Map<string, Window>();

  private readonly maxPerMinute: number;
  private readonly now: () => number;

  constructor(maxPerMinute: number, now: () => number = Date.now) {
    this.maxPerMinute = maxPerMinute;
    this.now = now;
  }

  /** Addresses (or IPv6 /64s) remembered now. */
  get size(): number {
    return this.counting.size + this.heldBack.size;
  }

  /** Milliseconds until `address` may try again; 0 when it may now. */
  retryAfterMs(address: string): number {
    const key = counterKey(address);
    const window = this.heldBack.get(key) ?? this.counting.get(key);
    if (!window) return 0;
    const left = window.start + WINDOW_MS - this.now();
    if (left <= 0) {
      this.forget(key);
      return 0;
    }
    return window.count >= this.maxPerMinute ? left : 0;
  }

  record(address: string): void {
    const key = counterKey(address);
    const now = this.now();
    const window = this.heldBack.get(key) ?? this.counting.get(key);
    if (window && now < window.start + WINDOW_MS) {
      window.count += 1;
      if (window.count >= this.maxPerMinute && this.counting.delete(key)) this.heldBack.set(key, window);
      return;
    }
    this.forget(key);
    if (this.size >= MAX_ADDRESSES) this.makeRoom(now);
    const fresh = { start: now, count: 1 };
    if (fresh.count >= this.maxPerMinute) this.heldBack.set(key, fresh);
    else this.counting.set(key, fresh);
  }

  private forget(key: string): void {
    this.counting.delete(key);
    this.heldBack.delete(key);
  }

  /** Ended windows go first, then the oldest under the limit, and only then the oldest held back. */
  private makeRoom(now: number): void {
    for (const windows of [this.counting, this.heldBack]) {
      for (const [key, window] of windows) {
        if (now < window.start + WINDOW_MS) break;
        windows.delete(key);
      }
    }
    for (const windows of [this.counting, this.heldBack]) {
      for (const key of windows.keys()) {
        if (this.size < MAX_ADDRESSES) return;
        windows.delete(key);
      }
    }
  }
}

/** The address failures are counted under: an IPv4 address as it is, an IPv6 address by its /64. */
export function counterKey(address: string): string {
  if (isIP(address) !== 6) return address;
  return `${expandIpv6(address).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, in lower case without leading zeros. */
function expandIpv6(address: string): string[] {
  const [head = '', tail] = address.toLowerCase().split('::') as [string, string | undefined];
  const toGroups = (part: string) => (part === '' ? [] : part.split(':'));
  let headGroups = toGroups(head);
  let tailGroups = tail === undefined ? [] : toGroups(tail);
  // An embedded IPv4 address at the end (::ffff:1.2.3.4) is two groups.
  const convertDotted = (groups: string[]) => {
    const last = groups.at(-1);
    if (last === undefined || !last.includes('.')) return groups;
    const [a = 0, b = 0, c = 0, d = 0] = last.split('.').map(Number);
    return [...groups.slice(0, -1), ((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
  };
  if (tail === undefined) headGroups = convertDotted(headGroups);
  else tailGroups = convertDotted(tailGroups);
  const missing = 8 - headGroups.length - tailGroups.length;
  return [...headGroups, ...Array<string>(Math.max(missing, 0)).fill('0'), ...tailGroups].map((g) => Number.parseInt(g, 16).toString(16));
}
