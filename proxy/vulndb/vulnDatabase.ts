/**
 * The mirror of the Go vulnerability database: what the proxy serves under /vulndb/ and what the
 * policy reads. A refresh
 *
 * 1. takes a newer snapshot another replica (or `import`) stored, if there is one;
 * 2. fetches `index/db.json`; when its `modified` is the current snapshot's, that is all;
 * 3. otherwise fetches `index/modules.json` and the entries that are new or whose `modified`
 *    changed (the others are the current snapshot's bytes), checks the whole database
 *    (snapshot.ts), stores it complete (snapshotStore.ts), and only then makes it current.
 *
 * Any failure keeps the current snapshot and marks it stale (served, with the reason); the log
 * line names the file and what was wrong. Refreshes never overlap in one process: a refresh asked
 * for while one runs gets that one's result.
 */
import type { Logger } from 'pino';
import type { ProxyMetrics } from '../metrics.ts';
import type { Storage } from '../storage/index.ts';
import { forEachConcurrently } from '../commands/pool.ts';
import { DatabaseSource } from './databaseSource.ts';
import { databaseMetaSchema, modulesIndexSchema } from './osv.ts';
import { checkDatabaseFiles, entryFile, MirroredSnapshot, parseJsonFile, VulnDatabaseError, type CheckedDatabase, type RefreshStatus, type VulnSnapshot } from './snapshot.ts';
import { decodeSnapshot, encodeSnapshot, snapshotKey, storedSnapshotKeys, storeSnapshot } from './snapshotStore.ts';

export type RefreshResult =
  /** A new snapshot is current; `fetchedEntries` entries were downloaded (the rest were kept). */
  | { outcome: 'updated'; modified: string; fetchedEntries: number; from: 'source' | 'storage' }
  /** The source's db.json has the current snapshot's `modified` (or an older one). */
  | { outcome: 'unchanged'; modified: string }
  /** Nothing changed; the reason names the file and the problem. */
  | { outcome: 'failed'; reason: string };

export type VulnDatabaseOptions = {
  url: string;
  refreshMs: number;
  storage: Storage;
  logger: Logger;
  /** Timeout of each request to the source. */
  timeoutMs: number;
  /** Entries fetched at once (default 8). */
  concurrency?: number;
  /** Where refreshes are counted and the snapshot's times shown; none: not counted. */
  metrics?: Pick<ProxyMetrics, 'vulndbRefreshes' | 'vulndbSnapshot'>;
};

export class VulnDatabase {
  private snapshot: MirroredSnapshot | undefined;
  private status: RefreshStatus = { refreshedAt: new Date(0), stale: false };
  private failure: { reason: string; at: Date } | undefined;
  private readonly listeners: Array<(snapshot: VulnSnapshot) => void> = [];
  private inFlight: Promise<RefreshResult> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly source: DatabaseSource;
  private readonly options: VulnDatabaseOptions;

  constructor(options: VulnDatabaseOptions) {
    this.options = options;
    this.source = new DatabaseSource({ url: options.url, timeoutMs: options.timeoutMs });
  }

  get url(): string {
    return this.source.url;
  }

  /** The current snapshot; undefined before the first complete one. */
  current(): MirroredSnapshot | undefined {
    return this.snapshot;
  }

  /** Why the current snapshot is stale, and since when; undefined when it is not. */
  staleness(): { reason: string; since: Date } | undefined {
    if (!this.status.stale || !this.failure) return undefined;
    return { reason: this.failure.reason, since: this.status.refreshedAt };
  }

  /** The last refresh's failure, while it is the last word (also before any snapshot). */
  lastFailure(): { reason: string; at: Date } | undefined {
    return this.failure;
  }

  /** Called after each new snapshot becomes current. */
  onSnapshot(listener: (snapshot: VulnSnapshot) => void): void {
    this.listeners.push(listener);
  }

  /** Loads the stored snapshot, then refreshes now and every `refreshMs` (the timer does not keep the process alive). */
  start(): void {
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.options.refreshMs);
    this.timer.unref();
  }

  /** Stops the schedule and a refresh in flight (its requests fail; nothing it fetched is kept). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.source.close();
    await this.inFlight;
  }

  refresh(): Promise<RefreshResult> {
    if (this.closed) return Promise.resolve({ outcome: 'failed', reason: 'the mirror is stopped' });
    this.inFlight ??= this.refreshOnce()
      .then((result) => {
        const { metrics } = this.options;
        metrics?.vulndbRefreshes.inc({ outcome: result.outcome });
        if (metrics && this.snapshot) {
          metrics.vulndbSnapshot.set({ time: 'modified' }, Date.parse(this.snapshot.modified) / 1000);
          metrics.vulndbSnapshot.set({ time: 'refreshed' }, this.snapshot.refreshedAt.getTime() / 1000);
        }
        return result;
      })
      .finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async refreshOnce(): Promise<RefreshResult> {
    const { logger } = this.options;
    let fromStorage: RefreshResult | undefined;
    try {
      fromStorage = await this.adoptStored();
    } catch (err) {
      // A bad stored snapshot does not stop the source from making a good one.
      logger.error({ err: (err as Error).message }, 'vulndb: stored snapshot not used');
    }
    try {
      const result = await this.refreshFromSource();
      this.status.stale = false;
      this.failure = undefined;
      return result.outcome === 'unchanged' && fromStorage ? fromStorage : result;
    } catch (err) {
      const reason = err instanceof VulnDatabaseError ? err.message : `${(err as Error).message}`;
      if (this.closed) return { outcome: 'failed', reason: `stopped: ${reason}` };
      this.failure = { reason, at: new Date() };
      this.status.stale = this.snapshot !== undefined;
      logger.error(
        { source: this.source.url, reason, kept: this.snapshot?.modified ?? null },
        `vulndb: refresh from ${this.source.url} failed, ${this.snapshot ? `still serving the snapshot of ${this.snapshot.modified} (stale)` : 'no snapshot to serve yet'}: ${reason}`,
      );
      return fromStorage ?? { outcome: 'failed', reason };
    }
  }

  /** Makes the newest stored snapshot current when it is newer than the current one. */
  private async adoptStored(): Promise<RefreshResult | undefined> {
    const { storage } = this.options;
    const newest = (await storedSnapshotKeys(storage))[0];
    if (!newest || (this.snapshot && newest <= snapshotKey(this.snapshot.modified))) return undefined;
    const bytes = await storage.readBytes(newest);
    if (!bytes) return undefined;
    const { database, refreshedAt } = decodeSnapshot(newest, bytes);
    this.makeCurrent(database, refreshedAt);
    this.options.logger.info({ modified: database.modified, entries: database.entries.size, key: newest }, 'vulndb: snapshot taken from storage');
    return { outcome: 'updated', modified: database.modified, fetchedEntries: 0, from: 'storage' };
  }

  private async refreshFromSource(): Promise<RefreshResult> {
    const { logger, storage } = this.options;
    const db = await this.source.fetch('index/db.json');
    const meta = parseJsonFile('index/db.json', db, databaseMetaSchema);
    const current = this.snapshot;
    if (current && Date.parse(meta.modified) <= Date.parse(current.modified)) {
      if (Date.parse(meta.modified) < Date.parse(current.modified)) {
        logger.warn({ source: this.source.url, modified: meta.modified, kept: current.modified }, 'vulndb: the source is older than the current snapshot; kept the current one');
      }
      this.status.refreshedAt = new Date();
      return { outcome: 'unchanged', modified: current.modified };
    }

    const modules = await this.source.fetch('index/modules.json');
    const modulesIndex = parseJsonFile('index/modules.json', modules, modulesIndexSchema);
    const wanted = new Map<string, string>();
    for (const module of modulesIndex) for (const vuln of module.vulns) wanted.set(vuln.id, vuln.modified);
    const entries = new Map<string, Buffer>();
    const toFetch: string[] = [];
    for (const [id, modified] of wanted) {
      const kept = current?.entry(id);
      const bytes = kept && Date.parse(kept.modified) === Date.parse(modified) ? current!.database.files.entries.get(id) : undefined;
      if (bytes) entries.set(id, bytes);
      else toFetch.push(id);
    }
    await forEachConcurrently(toFetch, this.options.concurrency ?? 8, async (id) => {
      entries.set(id, await this.source.fetch(entryFile(id)));
    });
    const database = checkDatabaseFiles({ db, modules, entries });

    const refreshedAt = new Date();
    const key = snapshotKey(database.modified);
    await storeSnapshot(storage, key, encodeSnapshot(database, this.source.url, refreshedAt));
    this.makeCurrent(database, refreshedAt);
    logger.info({ source: this.source.url, modified: database.modified, entries: database.entries.size, fetchedEntries: toFetch.length, key }, 'vulndb: new snapshot');
    return { outcome: 'updated', modified: database.modified, fetchedEntries: toFetch.length, from: 'source' };
  }

  private makeCurrent(database: CheckedDatabase, refreshedAt: Date): void {
    // A new status object: the previous snapshot's readers keep theirs.
    this.status = { refreshedAt, stale: false };
    this.snapshot = new MirroredSnapshot(database, this.status);
    for (const listener of this.listeners) {
      try {
        listener(this.snapshot);
      } catch (err) {
        this.options.logger.error({ err }, 'vulndb: a snapshot listener failed');
      }
    }
  }
}
