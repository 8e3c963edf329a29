/**
 * Keeps the catalog equal to the store: a listing of the whole store in the background after
 * start (never before serving: start-up does not scan the store), then again every
 * `relistEveryMs`, which also brings what other replicas, cleanup and import changed. Between
 * listings, the versions this process stores reach the catalog as they are stored
 * (ModuleService's onVersionStored) and its downloads as they are served.
 */
import type { Logger } from 'pino';
import { readDownloadTimes, versionKeyParser, type Storage } from '../storage/index.ts';
import type { ModuleCatalog } from './moduleCatalog.ts';

/** How often the whole store is listed again: what other replicas and commands changed shows within this. */
export const RELIST_EVERY_MS = 10 * 60_000;

export type CatalogUpkeepOptions = {
  catalog: ModuleCatalog;
  storage: Storage;
  logger: Logger;
  relistEveryMs?: number;
};

export class CatalogUpkeep {
  private readonly options: CatalogUpkeepOptions;
  private running: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(options: CatalogUpkeepOptions) {
    this.options = options;
  }

  /** Starts the first listing on the next turn of the event loop, and the later ones on a timer. */
  start(): void {
    setImmediate(() => void this.relist());
    this.timer = setInterval(() => void this.relist(), this.options.relistEveryMs ?? RELIST_EVERY_MS);
    this.timer.unref();
  }

  /** Lists the store once (a listing under way is joined, not doubled). */
  relist(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.running ??= this.listOnce().finally(() => (this.running = null));
    return this.running;
  }

  private async listOnce(): Promise<void> {
    const { catalog, storage, logger } = this.options;
    const start = catalog.listingStarts();
    const started = Date.now();
    try {
      const parse = versionKeyParser();
      let bytes = 0;
      const bytesByDay = new Map<number, number>();
      for await (const batch of storage.listUnder('', { stored: true })) {
        if (this.closed) return;
        for (const { key, stored } of batch) {
          const size = stored?.size ?? 0;
          bytes += size;
          const day = Math.floor((stored?.modifiedMs ?? 0) / DAY_MS) * DAY_MS;
          bytesByDay.set(day, (bytesByDay.get(day) ?? 0) + size);
          const parsed = parse(key);
          if (parsed && (parsed.kind === 'mod' || parsed.kind === 'zip')) catalog.noteFile(parsed.module, parsed.version, parsed.kind);
        }
      }
      catalog.storedBytes = bytes;
      catalog.storageGrowth = cumulativeByDay(bytesByDay);
      const { times } = await readDownloadTimes(storage);
      for (const [id, at] of times) {
        const split = id.lastIndexOf('@');
        if (split > 0) catalog.noteDownload(id.slice(0, split), id.slice(split + 1), at);
      }
      catalog.dropUnseen(start);
      logger.info({ ...catalog.counts, ms: Date.now() - started }, 'catalog of the store listed');
    } catch (err) {
      // The catalog keeps what it knew; the next listing tries again.
      if (!this.closed) logger.warn({ reason: (err as Error).message }, 'could not list the store for the catalog; will try again');
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}

const DAY_MS = 86_400_000;
/** At most this many days are shown; what is older is counted in the first day shown. */
const GROWTH_DAYS = 400;

/** Bytes written per day → bytes held at the end of each day that had writes, oldest first. */
function cumulativeByDay(bytesByDay: Map<number, number>): Array<{ day: string; bytes: number }> {
  const days = [...bytesByDay.keys()].sort((a, b) => a - b);
  const shown = days.slice(-GROWTH_DAYS);
  let total = 0;
  for (const day of days.slice(0, days.length - shown.length)) total += bytesByDay.get(day)!;
  return shown.map((day) => {
    total += bytesByDay.get(day)!;
    return { day: new Date(day).toISOString().slice(0, 10), bytes: total };
  });
}
