/**
 * The Go vulnerability database inside the firewall: the mirror (VulnDatabase), its snapshots
 * (what the policy and the per-version index read) and the OSV schema of its entries.
 */
export { GO_VULN_ID, osvEntrySchema, type OsvEntry } from './osv.ts';
export { checkDatabaseFiles, MirroredSnapshot, VulnDatabaseError, type DatabaseFiles, type ServedFile, type VulnSnapshot } from './snapshot.ts';
export { decodeSnapshot, snapshotKey, storedSnapshotKeys, storeSnapshot, VULNDB_PREFIX } from './snapshotStore.ts';
export { VulnDatabase, type RefreshResult, type VulnDatabaseOptions } from './vulnDatabase.ts';
export { importSnapshot, isSnapshotEntry, MAX_SNAPSHOT_BYTES, newestStoredSnapshot, type CarriedSnapshot, type SnapshotImport } from './snapshotTransfer.ts';
