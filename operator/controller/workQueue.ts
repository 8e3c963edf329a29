/**
 * Ours because @kubernetes/client-node (2.0.1) has no work queue (client-go's workqueue has no port there).
 *
 * The work queue between event handlers and reconcile, with client-go's rules: a key is queued at
 * most once however many events name it; a key being reconciled is not handed out again until
 * that reconcile is done (an event meanwhile queues it once more for afterwards); a key that
 * failed comes back after an exponential back-off that forget() resets.
 */
export type WorkQueueOptions = {
  baseDelayMs?: number;
  maxDelayMs?: number;
};

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly delayed = new Map<string, NodeJS.Timeout>();
  private waiters: Array<(key: string | undefined) => void> = [];
  private shuttingDown = false;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(options: WorkQueueOptions = {}) {
    this.baseDelayMs = options.baseDelayMs ?? 50;
    this.maxDelayMs = options.maxDelayMs ?? 60_000;
  }

  /** Keys waiting, for /metrics. */
  get depth(): number {
    return this.queue.length;
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    const waiter = this.waiters.shift();
    if (waiter) {
      this.dirty.delete(key);
      this.processing.add(key);
      waiter(key);
    } else {
      this.queue.push(key);
    }
  }

  /** Adds the key after its back-off: base * 2^(failures so far), at most maxDelayMs. */
  addRateLimited(key: string): number {
    const failures = this.failures.get(key) ?? 0;
    this.failures.set(key, failures + 1);
    const delay = Math.min(this.baseDelayMs * 2 ** failures, this.maxDelayMs);
    if (!this.delayed.has(key)) {
      this.delayed.set(key, setTimeout(() => {
        this.delayed.delete(key);
        this.add(key);
      }, delay));
    }
    return delay;
  }

  /** The key succeeded: its next failure starts the back-off from the beginning. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** The next key to reconcile; undefined once shut down. */
  get(): Promise<string | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.queue.shift();
    if (key !== undefined) {
      this.dirty.delete(key);
      this.processing.add(key);
      return Promise.resolve(key);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Reconcile of key is over; an event that came meanwhile queues it again. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      this.dirty.delete(key);
      this.add(key);
    }
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const timer of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    for (const waiter of this.waiters) waiter(undefined);
    this.waiters = [];
  }
}
