/**
 * Failed sign-ins counted per client address in one-minute windows: past the limit, further
 * attempts from that address are refused without checking them (no bcrypt work for a guesser)
 * until the window ends. Credentials verified before are not affected (they are cached).
 */
const WINDOW_MS = 60_000;
/** More addresses than this and windows that ended are forgotten, so a flood cannot grow the map without bound. */
const MAX_ADDRESSES = 10_000;

export class FailedLogins {
  private readonly windows = new Map<string, { start: number; count: number }>();

  private readonly maxPerMinute: number;
  private readonly now: () => number;

  constructor(maxPerMinute: number, now: () => number = Date.now) {
    this.maxPerMinute = maxPerMinute;
    this.now = now;
  }

  /** Milliseconds until `address` may try again; 0 when it may now. */
  retryAfterMs(address: string): number {
    const window = this.windows.get(address);
    if (!window) return 0;
    const left = window.start + WINDOW_MS - this.now();
    if (left <= 0) {
      this.windows.delete(address);
      return 0;
    }
    return window.count >= this.maxPerMinute ? left : 0;
  }

  record(address: string): void {
    const now = this.now();
    const window = this.windows.get(address);
    if (window && now < window.start + WINDOW_MS) {
      window.count += 1;
      return;
    }
    if (this.windows.size >= MAX_ADDRESSES) this.forgetEnded(now);
    this.windows.set(address, { start: now, count: 1 });
  }

  private forgetEnded(now: number): void {
    for (const [address, window] of this.windows) {
      if (now >= window.start + WINDOW_MS) this.windows.delete(address);
    }
    // Still full: the oldest go first (a Map iterates in insertion order).
    for (const address of this.windows.keys()) {
      if (this.windows.size < MAX_ADDRESSES) break;
      this.windows.delete(address);
    }
  }
}
