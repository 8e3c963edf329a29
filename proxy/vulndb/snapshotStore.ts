/**
 * Snapshots of the vulnerability database in the proxy's store, shared by every replica on the
 * same disk or bucket:
 *
 *   gomodproxy/vulndb/snapshot-<modified as YYYYMMDDhhmmssSSS>.json.gz
 *
 * Each key holds one complete database (the upstream's bytes of db.json, modules.json and every
 * entry) and is written once, atomically (putImmutable). The newest key is the current snapshot:
 * there is no pointer to update, so two replicas that refresh at once cannot leave a half-switched
 * state — they write the same key (the first write wins) or different complete ones, and the
 * newer one is current for both. Older snapshots are removed, keeping the one before the newest.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Storage } from '../storage/index.ts';
import { checkDatabaseFiles, VulnDatabaseError, type CheckedDatabase, type DatabaseFiles } from './snapshot.ts';

export const VULNDB_PREFIX = 'gomodproxy/vulndb/';

const SNAPSHOT_NAME = /^snapshot-(\d{17})\.json\.gz$/;

/** How many snapshots are kept: the current one and the one before it (for a reader that listed just before a switch). */
const KEPT_SNAPSHOTS = 2;

type StoredSnapshot = {
  format: 'gomodproxy-vulndb/1';
  /** Where it was mirrored from. */
  source: string;
  /** When it was made (ISO time). */
  refreshedAt: string;
  db: string;
  modules: string;
  entries: Record<string, string>;
};

/** The key of the snapshot of a database modified at `modified`: sortable, so the newest is the greatest. */
export function snapshotKey(modified: string): string {
  const stamp = new Date(modified).toISOString().replace(/[^0-9]/g, '');
  return `${VULNDB_PREFIX}snapshot-${stamp}.json.gz`;
}

/** The stored form of a checked database: one gzip'd JSON document. */
export function encodeSnapshot(database: CheckedDatabase, source: string, refreshedAt: Date): Buffer {
  const stored: StoredSnapshot = {
    format: 'gomodproxy-vulndb/1',
    source,
    refreshedAt: refreshedAt.toISOString(),
    db: database.files.db.toString('utf8'),
    modules: database.files.modules.toString('utf8'),
    entries: Object.fromEntries([...database.files.entries].map(([id, bytes]) => [id, bytes.toString('utf8')])),
  };
  return gzipSync(JSON.stringify(stored));
}

/** Reads a stored snapshot back and checks it as a fresh download is checked; throws VulnDatabaseError. */
export function decodeSnapshot(key: string, bytes: Buffer): { database: CheckedDatabase; source: string; refreshedAt: Date } {
  let stored: StoredSnapshot;
  try {
    stored = JSON.parse(gunzipSync(bytes).toString('utf8')) as StoredSnapshot;
  } catch (err) {
    throw new VulnDatabaseError(key, `not a stored snapshot (${(err as Error).message})`);
  }
  if (stored?.format !== 'gomodproxy-vulndb/1' || typeof stored.db !== 'string' || typeof stored.modules !== 'string' || typeof stored.entries !== 'object') {
    throw new VulnDatabaseError(key, 'not a stored snapshot of format gomodproxy-vulndb/1');
  }
  const files: DatabaseFiles = {
    db: Buffer.from(stored.db),
    modules: Buffer.from(stored.modules),
    entries: new Map(Object.entries(stored.entries).map(([id, text]) => [id, Buffer.from(String(text))])),
  };
  const refreshedAt = new Date(stored.refreshedAt);
  return { database: checkDatabaseFiles(files), source: String(stored.source), refreshedAt: Number.isFinite(refreshedAt.getTime()) ? refreshedAt : new Date(0) };
}

/** The stored snapshots' keys, newest first. */
export async function storedSnapshotKeys(storage: Storage): Promise<string[]> {
  const names = (await storage.list(VULNDB_PREFIX)).filter((name) => SNAPSHOT_NAME.test(name));
  return names.sort().reverse().map((name) => `${VULNDB_PREFIX}${name}`);
}

/** Writes a snapshot (unless one of the same database is there) and removes the ones before the kept ones. */
export async function storeSnapshot(storage: Storage, key: string, bytes: Buffer): Promise<void> {
  await storage.putImmutable(key, bytes);
  const keys = await storedSnapshotKeys(storage);
  for (const old of keys.slice(KEPT_SNAPSHOTS)) {
    if (old < key) await storage.delete(old);
  }
}
