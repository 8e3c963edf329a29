/**
 * A cap on the git processes running at once: every git command takes a slot
 * for as long as its process runs, and waits in arrival order while all are
 * taken. Without it, many requests for one repository (80 branch queries)
 * start as many git processes, and a burst can exhaust the machine.
 */
export class ProcessSlots {
  readonly limit: number;
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`git process limit must be a whole number, 1 or more: ${limit}`);
    this.limit = limit;
  }

  /** Runs `work` (which starts one process and settles when it has exited) in a slot. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await work();
    } finally {
      // The slot passes straight to the next in line, so `running` counts it throughout.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
