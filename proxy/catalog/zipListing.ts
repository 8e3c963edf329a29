/**
 * The files of a stored module zip, read from its central directory only: the tail of the
 * object (where the directory and its end record sit) is fetched with one ranged read, never the
 * whole zip. A directory larger than the first window is read with a second, wider one.
 */
import { buffer as readWhole } from 'node:stream/consumers';
import yauzl from 'yauzl';
import type { Storage } from '../storage/index.ts';

export type ZipFileEntry = { name: string; size: number };

export type ZipListing = { files: ZipFileEntry[]; omitted: number };

/** The first window: the end record (22 bytes, a comment of up to 64 KiB) and a directory of some thousands of files. */
const FIRST_WINDOW_BYTES = 1 << 20;
/** The widest window read: a module zip's directory beyond this is not listed. */
const LAST_WINDOW_BYTES = 64 << 20;
/** Files named in the answer at most; the others are counted. */
const MAX_LISTED_FILES = 10_000;

/** A read before the window: the directory starts at `position`. */
class BeforeWindow extends Error {
  readonly position: number;
  constructor(position: number) {
    super(`zip central directory starts before the bytes read (at ${position})`);
    this.position = position;
  }
}

/** yauzl's view of the last bytes of an object: reads inside the window are answered, earlier ones fail with BeforeWindow. */
class WindowReader extends yauzl.RandomAccessReader {
  private readonly window: Buffer;
  private readonly windowStart: number;
  constructor(window: Buffer, windowStart: number) {
    super();
    this.window = window;
    this.windowStart = windowStart;
  }

  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null, bytesRead?: number) => void): void {
    if (position < this.windowStart) return callback(new BeforeWindow(position));
    const copied = this.window.copy(buffer, offset, position - this.windowStart, position - this.windowStart + length);
    callback(null, copied);
  }
}

/**
 * The files of the zip under `key` (names relative to the module root, `module@version/` taken
 * off, in the zip's order, with their unpacked sizes); null when the zip is not stored.
 */
export async function listZipFiles(storage: Storage, key: string, prefix: string): Promise<ZipListing | null> {
  let windowBytes = FIRST_WINDOW_BYTES;
  for (;;) {
    const object = await storage.read(key);
    if (!object) return null;
    const start = Math.max(0, object.size - windowBytes);
    const window = object.size === 0 ? Buffer.alloc(0) : await readWhole(object.stream({ start, end: object.size - 1 }));
    try {
      return await listFromWindow(new WindowReader(window, start), object.size, prefix);
    } catch (err) {
      if (!(err instanceof BeforeWindow) || start === 0) throw err;
      windowBytes = object.size - err.position;
      if (windowBytes > LAST_WINDOW_BYTES) throw new Error(`the zip's central directory is larger than ${LAST_WINDOW_BYTES} bytes; not listed`);
    }
  }
}

async function listFromWindow(reader: WindowReader, size: number, prefix: string): Promise<ZipListing> {
  const zip = await yauzl.fromRandomAccessReaderPromise(reader, size, { lazyEntries: true, autoClose: false, decodeStrings: true, validateEntrySizes: false, strictFileNames: false });
  const files: ZipFileEntry[] = [];
  let omitted = 0;
  try {
    for await (const entry of zip.eachEntry()) {
      if (entry.fileName.endsWith('/')) continue;
      if (files.length >= MAX_LISTED_FILES) {
        omitted++;
        continue;
      }
      const name = entry.fileName.startsWith(prefix) ? entry.fileName.slice(prefix.length) : entry.fileName;
      files.push({ name, size: entry.uncompressedSize });
    }
  } finally {
    zip.close();
  }
  return { files, omitted };
}
