/**
 * One piece of work per key however many callers ask at once: callers that
 * arrive while the work runs share its outcome, success or failure; the
 * next caller after it settles starts afresh (so a failure is retried by
 * the next request, never remembered).
 *
 * Work may answer before it ends (doAnswering): its callers get the answer
 * at once, and the key stays taken, so that later callers get the same
 * answer instead of starting the work again, until the rest of it (a store)
 * has ended.
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

  /**
   * Like do(), but `work` resolves to its answer and to `rest`, the part of it that runs on after
   * the answer: the key is released only once `rest` has settled (its failure is the work's to
   * report; it never reaches a caller).
   */
  async doAnswering(key: string, work: () => Promise<{ value: T; rest: Promise<unknown> }>): Promise<{ value: T; joined: boolean }> {
    const existing = this.running.get(key);
    if (existing) return { value: await existing, joined: true };
    const started = work();
    const answer = started.then(({ value }) => value);
    this.running.set(key, answer);
    const release = () => {
      if (this.running.get(key) === answer) this.running.delete(key);
    };
    started.then(({ rest }) => rest).then(release, release);
    return { value: await answer, joined: false };
  }

  /** The outcome of the work running for `key`, or null when none runs. */
  current(key: string): Promise<T> | null {
    return this.running.get(key) ?? null;
  }

  get size(): number {
    return this.running.size;
  }
}
