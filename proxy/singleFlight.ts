/**
 * One piece of work per key however many callers ask at once: callers that
 * arrive while the work runs share its outcome, success or failure; the
 * next caller after it settles starts afresh (so a failure is retried by
 * the next request, never remembered).
 */
export class SingleFlight<T> {
  private readonly running = new Map<string, Promise<T>>();

  /** Runs `work` unless it is running for `key` already; `joined` tells which. */
  async do(key: string, work: () => Promise<T>): Promise<{ value: T; joined: boolean }> {
    const existing = this.running.get(key);
    if (existing) return { value: await existing, joined: true };
    const promise = work().finally(() => this.running.delete(key));
    this.running.set(key, promise);
    return { value: await promise, joined: false };
  }

  get size(): number {
    return this.running.size;
  }
}
