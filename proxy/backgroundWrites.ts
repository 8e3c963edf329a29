/**
 * Writes that run after the answer they belong to has been sent (a cold .info's store, a version's
 * provenance record): the request does not wait for them, shutdown does (idle()).
 *
 * The rules:
 * - writes of one key run one after the other, in the order they were started;
 * - a write never rejects: its failure goes to its own `onFailure` (to be logged) and it resolves
 *   to false, so nothing is left half-done behind an unhandled rejection;
 * - a key is pending from run() until its last write has ended.
 */
export class BackgroundWrites {
  private readonly running = new Map<string, Promise<boolean>>();

  /** Runs `write` after the key's running write, if any; resolves to whether it succeeded. */
  run(key: string, write: () => Promise<void>, onFailure: (err: unknown) => void): Promise<boolean> {
    const before = this.running.get(key) ?? Promise.resolve(true);
    const done: Promise<boolean> = before
      .then(write)
      .then(
        () => true,
        (err: unknown) => {
          onFailure(err);
          return false;
        },
      )
      .finally(() => {
        if (this.running.get(key) === done) this.running.delete(key);
      });
    this.running.set(key, done);
    return done;
  }

  /** The key's last running write (true once it succeeded), or null when none runs. */
  pending(key: string): Promise<boolean> | null {
    return this.running.get(key) ?? null;
  }

  /** Resolves once no write runs (writes started meanwhile included). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running.values());
  }

  get size(): number {
    return this.running.size;
  }
}
