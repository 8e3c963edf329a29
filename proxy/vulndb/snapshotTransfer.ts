/**
 * The vulnerability database snapshot in offline bundles: `export` carries the newest stored
 * snapshot as the tar entry of the same name as its storage key
 * (`gomodproxy/vulndb/snapshot-<modified>.json.gz`); `import` checks it exactly as a download is
 * checked and stores it when it is newer than every snapshot held, so it becomes the current
 * snapshot of every proxy on that store at their next refresh.
 */
import type { Storage } from '../storage/index.ts';
import { VulnDatabaseError } from './snapshot.ts';
import { decodeSnapshot, snapshotKey, storedSnapshotKeys, storeSnapshot, VULNDB_PREFIX } from './snapshotStore.ts';

/** The largest snapshot an import reads (today's database is a few MiB packed). */
export const MAX_SNAPSHOT_BYTES = 256 << 20;

export type CarriedSnapshot = { key: string; bytes: Buffer; modified: string; entries: number };

/** Whether a bundle entry is a carried snapshot. */
export function isSnapshotEntry(name: string): boolean {
  return name.startsWith(VULNDB_PREFIX) && /^snapshot-\d{17}\.json\.gz$/.test(name.slice(VULNDB_PREFIX.length));
}

/** The newest snapshot in storage, checked; null when there is none. */
export async function newestStoredSnapshot(storage: Storage): Promise<CarriedSnapshot | null> {
  for (const key of await storedSnapshotKeys(storage)) {
    const bytes = await storage.readBytes(key);
    if (!bytes) continue;
    const { database } = decodeSnapshot(key, bytes);
    return { key, bytes, modified: database.modified, entries: database.entries.size };
  }
  return null;
}

export type SnapshotImport =
  | { outcome: 'imported' | 'held-already'; modified: string; entries: number }
  /** The store holds a newer snapshot, which stays current. */
  | { outcome: 'held-newer'; modified: string; entries: number; held: string }
  | { outcome: 'refused'; reason: string };

/** Checks a carried snapshot and stores it when it is newer than what the store holds. */
export async function importSnapshot(storage: Storage, name: string, bytes: Buffer): Promise<SnapshotImport> {
  let checked;
  try {
    checked = decodeSnapshot(name, bytes).database;
  } catch (err) {
    if (err instanceof VulnDatabaseError) return { outcome: 'refused', reason: `the vulnerability database it carries is not used: ${err.message}` };
    throw err;
  }
  const key = snapshotKey(checked.modified);
  if (key !== name) return { outcome: 'refused', reason: `the vulnerability database it carries is not used: ${name} holds a database modified ${checked.modified}` };
  const carried = { modified: checked.modified, entries: checked.entries.size };
  const newest = (await storedSnapshotKeys(storage))[0];
  if (newest === key) return { outcome: 'held-already', ...carried };
  if (newest && newest > key) return { outcome: 'held-newer', ...carried, held: newest };
  await storeSnapshot(storage, key, bytes);
  return { outcome: 'imported', ...carried };
}
