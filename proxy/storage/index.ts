import type { S3StorageOptions } from './s3.ts';
import type { Storage } from './storage.ts';

export type { ByteRange, ListedKey, OpenedObject, Storage, StoredObject } from './storage.ts';
export { checkStorageKey } from './storage.ts';
export { DiskStorage } from './disk.ts';
export { listKey, parseVersionKey, provenanceKey, storedVersions, versionKey, versionKeyParser, writeStoredList, type ParsedVersionKey, type VersionFileKind } from './layout.ts';
export type { S3StorageOptions } from './s3.ts';

/** S3 storage, loaded when asked for: the AWS SDK costs start-up time and memory that a disk store does not need. */
export async function createS3Storage(options: S3StorageOptions): Promise<Storage> {
  const { S3Storage } = await import('./s3.ts');
  return new S3Storage(options);
}
export {
  compactDownloadTimes,
  DownloadLog,
  DOWNLOADS_PREFIX,
  journalKeys,
  readDownloadTimes,
  readJournalFile,
  versionId,
  writeDownloadTimes,
  type DownloadTimes,
} from './downloadLog.ts';
export { readProvenance, sourceOfServer, writeProvenance, type Provenance, type StoredChecksum, type VersionSource } from './provenance.ts';
