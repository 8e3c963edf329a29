/**
 * The phases of one upstream fetch (upstream wait, check, store, list rewrite…) and how long
 * each took, for the debug log line of a miss: where the cold path spends its time.
 */
export class PhaseTimer {
  readonly #milliseconds: Record<string, number> = {};

  /** Runs work as the named phase (times add up when a phase runs more than once). */
  async time<T>(phase: string, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.#milliseconds[phase] = (this.#milliseconds[phase] ?? 0) + Math.round((performance.now() - started) * 10) / 10;
    }
  }

  /** Milliseconds by phase, in the order they first ran. */
  get milliseconds(): Record<string, number> {
    return { ...this.#milliseconds };
  }
}
