/**
 * Where modules are kept. Keys are slash-separated paths in the Go module
 * cache's download layout, built only from !-escaped module paths and
 * versions: "<escaped path>/@v/<escaped version>.info|.mod|.zip|.ziphash",
 * "<escaped path>/@v/list". A folder holding these files works as
 * GOPROXY=file://<folder>.
 *
 * Immutable files (.info, .mod, .zip, .ziphash of a version) are written
 * once: putImmutable keeps whatever is there already. Every write is atomic:
 * a reader sees either nothing or the whole file.
 */
import type { Readable } from 'node:stream';

export type StoredObject = {
  size: number;
  modified: Date;
};

/**
 * A key found by a walk of the store, with its size and time (ms since 1970, whole) when the
 * listing itself gives them (an S3 listing does; a folder listing does not, and `stored` is then
 * left out: fillStored() the keys that need it).
 */
export type ListedKey = { key: string; stored?: { size: number; modifiedMs: number } };

/** Byte offsets of a part of an object, both included (as in an HTTP Range header). */
export type ByteRange = { start: number; end: number };

/**
 * An object opened for reading. Exactly one of stream() or close() must be
 * called; the object stays readable even if its key is deleted meanwhile.
 */
export type OpenedObject = StoredObject & {
  /**
   * The content, or the part of it in `range`, as a stream; it releases the
   * object when it ends or is destroyed. The part comes from the same object
   * that was opened, or the stream fails.
   */
  stream(range?: ByteRange): Readable;
  /**
   * Random access, where the store has it (a local file): reads into `buffer`
   * from `position`, resolving to the bytes read. The caller then calls close().
   */
  readAt?(buffer: Uint8Array, position: number): Promise<number>;
  close(): Promise<void>;
};

export interface Storage {
  /** A description for logs, e.g. "disk /var/lib/gomodproxy". */
  readonly description: string;

  /** Checks that the store can be used (exists, writable); throws an Error saying what to fix. */
  open(): Promise<void>;

  stat(key: string): Promise<StoredObject | null>;

  /** Opens a key for streaming; the stream stays valid even if the key is deleted meanwhile. */
  read(key: string): Promise<OpenedObject | null>;

  /** Reads a small key whole. */
  readBytes(key: string): Promise<Buffer | null>;

  /** Writes a key atomically, replacing what was there (for list and other caches). */
  put(key: string, data: Uint8Array): Promise<void>;

  /**
   * Writes an immutable key atomically unless it exists already; returns false
   * when an earlier write won. `data` is the content or a staged local file
   * (from stagingFile) that is consumed.
   */
  putImmutable(key: string, data: Uint8Array | { file: string }): Promise<boolean>;

  /**
   * Throws when a write would fail now (a full or read-only disk under the staging folder), for
   * /readyz: a proxy that cannot store what it fetches is not ready.
   */
  checkWritable?(): Promise<void>;

  /** A fresh local file path to download into before putImmutable; remove it if unused. */
  stagingFile(hint: string): Promise<string>;

  /** The names directly under a key prefix ending in "/" (files only). */
  list(prefix: string): Promise<string[]>;

  /**
   * Every key under a prefix ending in "/" ("" for the whole store), at any depth, in no
   * particular order; the store's own working files are not keys. For whole-store work
   * (export, cleanup), never for serving a request.
   */
  keysUnder(prefix: string): AsyncIterable<string>;

  /**
   * The keys of keysUnder, a batch at a time (a folder, a page of a listing), each with what the
   * listing says of its object. With `stored`, every key comes with its size and time (an S3
   * listing gives them anyway; a disk stats each file it lists). Folders may be read several at
   * a time. For whole-store work.
   */
  listUnder(prefix: string, options?: { stored?: boolean }): AsyncIterable<ListedKey[]>;

  /**
   * Sets `stored` on each listed key that lacks it; a key gone since it was listed is left
   * without. For whole-store work on many keys at once: cheaper per key than stat().
   */
  fillStored(listed: ListedKey[]): Promise<void>;

  /** The bytes still free where the store writes, where the store can tell (a disk); null otherwise. */
  freeBytes?(): Promise<number | null>;

  delete(key: string): Promise<void>;

  /** Releases what the store holds open (connections); it is not used afterwards. */
  close?(): Promise<void>;
}

const SAFE_KEY = /^[a-z0-9!._~+\-]+(\/[a-z0-9!._~+\-@]+)*$/;

/**
 * Keys come from validated, escaped module paths, so they never hold upper
 * case, elements starting with a dot (".." or the store's own ".staging"),
 * backslashes, colons (but a checksum database name's port) or absolute paths;
 * this is the last line of defence
 * before a key touches a file system or a bucket.
 */
export function checkStorageKey(key: string): void {
  // A checksum database's name may carry a port (host:port, as GOSUMDB allows): its one ':'.
  const checked = key.replace(/^(sumdb\/[a-z0-9.-]+):([0-9]+\/)/, '$1$2');
  const ok =
    SAFE_KEY.test(checked) &&
    !key.split('/').some((element) => element === '' || element.startsWith('.')) &&
    key.length <= 4096;
  if (!ok) throw new Error(`refusing storage key ${JSON.stringify(key)}: not a path in the module download layout`);
}
