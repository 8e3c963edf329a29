/**
 * When each module version was last downloaded, for retention cleanup, kept in the store itself
 * so that every replica and the cleanup job (which may run elsewhere) share it:
 *
 *   gomodproxy/downloads/<time>-<random>.json   {"<module>@<version>": <ms since 1970>, …,
 *                                                "@usage": <request counts per hour, usage/usageCounts.ts>}
 *
 * A serving proxy gathers downloads in memory and writes one such journal file per interval (and
 * at shutdown), never one write per request; each replica writes its own files, so no two writers
 * share a key. Cleanup reads them all, keeps the latest time of each version, writes the merged
 * result as one file and deletes the ones it merged (request counts added up and folded, so they
 * stay bounded). A module path's first element holds a dot, so "gomodproxy/" is never a module's
 * folder, and "@usage" is never a module version.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Storage } from './storage.ts';
import { addCounts, countAnswer, emptyCounts, fold, isEmpty, parseCounts, type UsageCounts } from '../usage/usageCounts.ts';

export const DOWNLOADS_PREFIX = 'gomodproxy/downloads/';

export type DownloadTimes = Map<string, number>;

/** The entry of a journal file that holds request counts. */
const USAGE_ENTRY = '@usage';

export const versionId = (modulePath: string, version: string) => `${modulePath}@${version}`;

export class DownloadLog {
  private readonly storage: Storage;
  private readonly logger: Logger;
  private readonly now: () => number;
  private pending: DownloadTimes = new Map();
  private pendingUsage: UsageCounts = emptyCounts();
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  private readonly onRecord: ((modulePath: string, version: string, at: number) => void) | undefined;
  private readonly onWritten: ((key: string, usage: UsageCounts) => void) | undefined;

  constructor(options: {
    storage: Storage;
    logger: Logger;
    flushEveryMs: number;
    now?: () => number;
    /** Told of every download as it is noted (the catalog of the store listens). */
    onRecord?: (modulePath: string, version: string, at: number) => void;
    /** Told of every journal file written, with its request counts (the usage history listens). */
    onWritten?: (key: string, usage: UsageCounts) => void;
  }) {
    this.storage = options.storage;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    this.onRecord = options.onRecord;
    this.onWritten = options.onWritten;
    this.timer = setInterval(() => void this.flush(), options.flushEveryMs);
    this.timer.unref();
  }

  /** Notes a download; costs a map write. */
  record(modulePath: string, version: string): void {
    const at = this.now();
    this.pending.set(versionId(modulePath, version), at);
    this.onRecord?.(modulePath, version, at);
  }

  /** Counts a served answer (a .zip is a download); costs a few map writes. */
  countAnswer(answer: { download: boolean; cache: 'hit' | 'miss' | null; module: string | null }): void {
    countAnswer(this.pendingUsage, this.now(), answer);
  }

  /** The counts gathered since the last flush (not in the store yet). */
  unflushedUsage(): UsageCounts {
    return this.pendingUsage;
  }

  /** Writes what was gathered since the last flush as one journal file. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.pending.size === 0 && isEmpty(this.pendingUsage)) return;
      const batch = this.pending;
      const usage = this.pendingUsage;
      this.pending = new Map();
      this.pendingUsage = emptyCounts();
      try {
        const key = await writeDownloadTimes(this.storage, batch, this.now(), usage);
        this.onWritten?.(key, usage);
      } catch (err) {
        // Kept for the next flush: losing download times would make cleanup remove used versions.
        for (const [id, at] of batch) if (!this.pending.has(id)) this.pending.set(id, at);
        addCounts(this.pendingUsage, usage);
        this.logger.warn({ reason: (err as Error).message, versions: batch.size }, 'could not write download times; will try again');
      }
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}

/** Writes download times (and request counts) as a new journal file; returns its key. */
export async function writeDownloadTimes(storage: Storage, times: DownloadTimes, at: number, usage?: UsageCounts): Promise<string> {
  const stamp = new Date(at).toISOString().replace(/[-:.]/g, '').toLowerCase();
  const key = `${DOWNLOADS_PREFIX}${stamp}-${randomBytes(6).toString('hex')}.json`;
  const entries: Record<string, unknown> = Object.fromEntries(times);
  if (usage && !isEmpty(usage)) entries[USAGE_ENTRY] = usage;
  await storage.put(key, Buffer.from(JSON.stringify(entries)));
  return key;
}

/** One journal file's times and counts; null when it is gone or damaged. */
export async function readJournalFile(storage: Storage, key: string): Promise<{ times: DownloadTimes; usage: UsageCounts } | null> {
  const body = await storage.readBytes(key);
  if (!body) return null;
  let entries: Record<string, unknown>;
  try {
    entries = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch {
    return null; // a damaged journal file counts as no downloads, and is replaced at compaction
  }
  const times: DownloadTimes = new Map();
  for (const [id, at] of Object.entries(entries)) if (typeof at === 'number') times.set(id, at);
  return { times, usage: parseCounts(entries[USAGE_ENTRY]) };
}

/** The keys of the journal files. */
export async function journalKeys(storage: Storage): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of storage.keysUnder(DOWNLOADS_PREFIX)) if (key.endsWith('.json')) keys.push(key);
  return keys;
}

/** Every journal file's times, merged (latest wins), its request counts added up, and the keys they came from. */
export async function readDownloadTimes(storage: Storage): Promise<{ times: DownloadTimes; usage: UsageCounts; keys: string[] }> {
  const times: DownloadTimes = new Map();
  const usage = emptyCounts();
  const keys: string[] = [];
  for (const key of await journalKeys(storage)) {
    const file = await readJournalFile(storage, key);
    if (!file) continue;
    keys.push(key);
    for (const [id, at] of file.times) if (at > (times.get(id) ?? -Infinity)) times.set(id, at);
    addCounts(usage, file.usage);
  }
  return { times, usage, keys };
}

/**
 * Replaces the journal files read with one holding the merged times (of the versions still held)
 * and the request counts, folded (old hours into days, counts past keeping dropped).
 */
export async function compactDownloadTimes(storage: Storage, times: DownloadTimes, merged: string[], at: number, usage: UsageCounts = emptyCounts()): Promise<void> {
  const written = await writeDownloadTimes(storage, times, at, fold(usage, at));
  for (const key of merged) if (key !== written) await storage.delete(key);
}
