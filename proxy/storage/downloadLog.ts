/**
 * When each module version was last downloaded, for retention cleanup, kept in the store itself
 * so that every replica and the cleanup job (which may run elsewhere) share it:
 *
 *   gomodproxy/downloads/<time>-<random>.json   {"<module>@<version>": <ms since 1970>, …}
 *
 * A serving proxy gathers downloads in memory and writes one such journal file per interval (and
 * at shutdown), never one write per request; each replica writes its own files, so no two writers
 * share a key. Cleanup reads them all, keeps the latest time of each version, writes the merged
 * result as one file and deletes the ones it merged. A module path's first element holds a dot,
 * so "gomodproxy/" is never a module's folder.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Storage } from './storage.ts';

export const DOWNLOADS_PREFIX = 'gomodproxy/downloads/';

export type DownloadTimes = Map<string, number>;

export const versionId = (modulePath: string, version: string) => `${modulePath}@${version}`;

export class DownloadLog {
  private readonly storage: Storage;
  private readonly logger: Logger;
  private readonly now: () => number;
  private pending: DownloadTimes = new Map();
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(options: { storage: Storage; logger: Logger; flushEveryMs: number; now?: () => number }) {
    this.storage = options.storage;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    this.timer = setInterval(() => void this.flush(), options.flushEveryMs);
    this.timer.unref();
  }

  /** Notes a download; costs a map write. */
  record(modulePath: string, version: string): void {
    this.pending.set(versionId(modulePath, version), this.now());
  }

  /** Writes what was gathered since the last flush as one journal file. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.pending.size === 0) return;
      const batch = this.pending;
      this.pending = new Map();
      try {
        await writeDownloadTimes(this.storage, batch, this.now());
      } catch (err) {
        // Kept for the next flush: losing download times would make cleanup remove used versions.
        for (const [id, at] of batch) if (!this.pending.has(id)) this.pending.set(id, at);
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

/** Writes download times as a new journal file; returns its key. */
export async function writeDownloadTimes(storage: Storage, times: DownloadTimes, at: number): Promise<string> {
  const stamp = new Date(at).toISOString().replace(/[-:.]/g, '').toLowerCase();
  const key = `${DOWNLOADS_PREFIX}${stamp}-${randomBytes(6).toString('hex')}.json`;
  await storage.put(key, Buffer.from(JSON.stringify(Object.fromEntries(times))));
  return key;
}

/** Every journal file's times, merged (latest wins), and the keys they came from. */
export async function readDownloadTimes(storage: Storage): Promise<{ times: DownloadTimes; keys: string[] }> {
  const times: DownloadTimes = new Map();
  const keys: string[] = [];
  for await (const key of storage.keysUnder(DOWNLOADS_PREFIX)) {
    if (!key.endsWith('.json')) continue;
    const body = await storage.readBytes(key);
    if (!body) continue;
    let entries: Record<string, unknown>;
    try {
      entries = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    } catch {
      continue; // a damaged journal file counts as no downloads, and is replaced at compaction
    }
    keys.push(key);
    for (const [id, at] of Object.entries(entries)) {
      if (typeof at === 'number' && at > (times.get(id) ?? -Infinity)) times.set(id, at);
    }
  }
  return { times, keys };
}

/** Replaces the journal files read with one holding the merged times (of the versions still held). */
export async function compactDownloadTimes(storage: Storage, times: DownloadTimes, merged: string[], at: number): Promise<void> {
  const written = await writeDownloadTimes(storage, times, at);
  for (const key of merged) if (key !== written) await storage.delete(key);
}
