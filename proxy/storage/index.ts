export type { OpenedObject, Storage, StoredObject } from './storage.ts';
export { checkStorageKey } from './storage.ts';
export { DiskStorage } from './disk.ts';
export { listKey, parseVersionKey, storedVersions, versionKey, writeStoredList, type VersionFileKind } from './layout.ts';
