export type { ByteRange, OpenedObject, Storage, StoredObject } from './storage.ts';
export { checkStorageKey } from './storage.ts';
export { DiskStorage } from './disk.ts';
export { S3Storage, type S3StorageOptions } from './s3.ts';
