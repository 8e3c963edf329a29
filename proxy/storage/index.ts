export type { OpenedObject, Storage, StoredObject } from './storage.ts';
export { checkStorageKey } from './storage.ts';
export { DiskStorage } from './disk.ts';
