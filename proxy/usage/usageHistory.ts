/**
 * The request counts of every replica (usageCounts.ts), for /api/usage: the journal files in the
 * store, read incrementally (a file is read once: journal files are never changed, only replaced
 * by cleanup's merge), listed again at most every REFRESH_MS, plus what this process counted and
 * has not written yet.
 */
import { journalKeys, readJournalFile, type DownloadLog, type Storage } from '../storage/index.ts';
import { addCounts, emptyCounts, type UsageCounts } from './usageCounts.ts';

const REFRESH_MS = 30_000;

export class UsageHistory {
  private readonly storage: Storage;
  private readonly files = new Map<string, UsageCounts>();
  private downloads: DownloadLog | undefined;
  private listedAt = -Infinity;
  private listing: Promise<void> | null = null;

  constructor(storage: Storage) {
    this.storage = storage;
  }

  /** The log whose unwritten counts are added (set once it exists: it reports its writes here). */
  attach(downloads: DownloadLog): void {
    this.downloads = downloads;
  }

  /** A journal file this process wrote. */
  noteWritten(key: string, usage: UsageCounts): void {
    this.files.set(key, usage);
  }

  /** Every replica's counts, as of the last listing of the journal (at most REFRESH_MS old), and this process's own, all of them. */
  async counts(): Promise<UsageCounts> {
    if (Date.now() - this.listedAt > REFRESH_MS) {
      this.listing ??= this.list().finally(() => (this.listing = null));
      await this.listing;
    }
    const merged = emptyCounts();
    for (const usage of this.files.values()) addCounts(merged, usage);
    if (this.downloads) addCounts(merged, this.downloads.unflushedUsage());
    return merged;
  }

  private async list(): Promise<void> {
    const keys = await journalKeys(this.storage);
    const present = new Set(keys);
    for (const key of this.files.keys()) if (!present.has(key)) this.files.delete(key);
    for (const key of keys) {
      if (this.files.has(key)) continue;
      const file = await readJournalFile(this.storage, key);
      if (file) this.files.set(key, file.usage);
    }
    this.listedAt = Date.now();
  }
}
