/**
 * Work started ahead of a client's request, in the background: when the go command asks a cold
 * `.info` of a version, it asks that version's `.mod` and `.zip` next (`go mod download`,
 * `go get` of a version), so they are fetched while it waits: the `.mod` beside the `.info`, the
 * `.zip` once both are stored. Its requests then join the running fetch (the module service's
 * single flight) or find the files stored.
 *
 * The rules:
 * - a job runs the module service's own fetch, so what it stores passed the same acceptance step
 *   as a client's fetch, and a client that asks meanwhile joins it instead of fetching twice;
 * - a job that fails leaves nothing behind (a failed fetch stores nothing and is not remembered):
 *   the client's own request fetches again and gets the failure's reason itself;
 * - at most `concurrency` jobs run at once; more wait in order, up to `queueLimit`, and beyond that
 *   are dropped (the client's request then fetches for itself);
 * - one job per key at a time: a key already waiting or running is not scheduled again.
 */
import type { Logger } from 'pino';

export type FetchAheadOptions = {
  /** Jobs run at once. */
  concurrency: number;
  /** Jobs kept waiting; beyond this they are dropped. */
  queueLimit: number;
  logger: Logger;
};

type Job = { key: string; work: () => Promise<void> };

export class FetchAhead {
  private readonly concurrency: number;
  private readonly queueLimit: number;
  private readonly logger: Logger;
  private readonly waiting: Job[] = [];
  /** Keys waiting or running. */
  private readonly scheduled = new Set<string>();
  private running = 0;
  private readonly idleWaiters: Array<() => void> = [];

  constructor(options: FetchAheadOptions) {
    this.concurrency = options.concurrency;
    this.queueLimit = options.queueLimit;
    this.logger = options.logger;
  }

  /** Runs `work` in the background unless `key` is already scheduled; never throws. */
  schedule(key: string, work: () => Promise<void>): void {
    if (this.scheduled.has(key)) return;
    if (this.running >= this.concurrency && this.waiting.length >= this.queueLimit) {
      this.logger.debug({ key }, 'fetch ahead dropped: too many waiting');
      return;
    }
    this.scheduled.add(key);
    this.waiting.push({ key, work });
    this.startNext();
  }

  /** Resolves once no job is waiting or running (for shutdown and tests). */
  idle(): Promise<void> {
    if (this.isIdle) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** No job is waiting or running. */
  get isIdle(): boolean {
    return this.running === 0 && this.waiting.length === 0;
  }

  private startNext(): void {
    while (this.running < this.concurrency) {
      const job = this.waiting.shift();
      if (!job) break;
      this.running++;
      void this.run(job);
    }
    if (this.isIdle) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private async run(job: Job): Promise<void> {
    try {
      await job.work();
    } catch (err) {
      this.logger.debug({ key: job.key, reason: (err as Error).message }, 'fetch ahead failed; the client will fetch for itself');
    } finally {
      this.running--;
      this.scheduled.delete(job.key);
      this.startNext();
    }
  }
}
