// Checking a module zip fetched from an upstream, by the rules of
// golang.org/x/mod/zip (checkZip, and the size checks of Unzip), and hashing it
// as golang.org/x/mod/sumdb/dirhash does (HashZip with Hash1), in one pass.
//
// The rules, for module path M at version V (both exactly as given, not
// !-escaped):
//   - the zip file is at most 500 MiB;
//   - every entry name starts with "M@V/". The entry "M@V/" itself and
//     directory entries (names ending in "/") are allowed; their paths are
//     checked like file paths and take part in the collision check, and
//     otherwise they are ignored;
//   - the path after the prefix is clean (no "." or ".." elements, no "//")
//     and passes checkFilePath;
//   - no path is listed twice, no two paths are equal under case folding, and
//     no path is both a file and a directory;
//   - a file whose base name is "go.mod" in any case is allowed only at the
//     root and only spelt "go.mod": a go.mod deeper down would be a nested
//     module, which does not belong in this module's zip;
//   - the declared uncompressed sizes add up to at most 500 MiB; go.mod and
//     LICENSE (at the root) are at most 16 MiB each;
//   - every entry inflates to exactly its declared size, with a matching
//     CRC-32 (Go's archive/zip refuses the content otherwise);
//   - no symbolic links or other irregular files (the x/mod/zip package
//     documentation states this rule; its checkZip does not look at modes, but
//     Create never writes such entries, so a zip holding one did not come from
//     the go command's own rules).
//
// The h1 hash covers every entry of the zip, directories included, by its full
// name, exactly as HashZip lists them.
//
// The check reads the file with synchronous reads and inflates entries of up to
// inMemoryEntryBytes in one synchronous call: a zip of 18,000 small files then
// costs 18,000 inflates, not 72,000 thread-pool round trips and 18,000 stream
// pipelines. It blocks the thread it runs on, so it runs in a worker thread
// (checkZipPool.ts), except for a small zip (smallZip.ts) whose check is cheaper
// than a thread hop.

import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { Readable } from 'node:stream';
import { crc32, createInflateRaw, inflateRawSync } from 'node:zlib';
import yauzl from 'yauzl';
import type { Entry, ZipFile } from 'yauzl';
import { releaseAtOnce } from '../bufferPool.ts';
import { cleanPath, checkFilePath } from '../protocol/index.ts';
import { CollisionChecker } from './collisions.ts';
import { hashFileList } from './dirhash.ts';
import type { FileDigest } from './dirhash.ts';
import { messageOf, ZipCheckError } from './errors.ts';
import { caseFold } from './fold.ts';
import { defaultZipLimits, formatBytes } from './limits.ts';
import type { ZipLimits } from './limits.ts';
import { checkZipModule, type ModuleVersion } from './moduleVersion.ts';

export type ZipSummary = {
  /** The h1: hash of the zip, as go.sum records it for "M V". */
  hash: string;
  /** Number of file entries (directory entries are not counted). */
  files: number;
  /** Sum of the uncompressed sizes of all entries. */
  uncompressedBytes: number;
  /** Size of the zip file. */
  zipBytes: number;
  /** Content of the root go.mod, or null when the zip has none. */
  goMod: Uint8Array | null;
};

/** At most this many problems are listed in a ZipCheckError; the rest are counted. */
const maxListedProblems = 50;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * checkZipFileBlocking checks the module zip at zipPath for mod against the
 * module zip rules and returns its h1 hash and sizes. It reads the zip once;
 * only the root go.mod is kept. Any broken rule, and a zip that cannot be read,
 * throws ZipCheckError. Its reads and inflates are synchronous: call it in a
 * worker thread (checkZipFile in checkZipPool.ts does).
 */
export async function checkZipFileBlocking(
  zipPath: string,
  mod: ModuleVersion,
  limits: Partial<ZipLimits> = {},
): Promise<ZipSummary> {
  const limit: ZipLimits = { ...defaultZipLimits, ...limits };
  checkZipModule(mod, 'check');
  const prefix = `${mod.path}@${mod.version}/`;

  const file = openSync(zipPath, 'r');
  try {
    const zipBytes = fstatSync(file).size;
    checkZipSize(zipBytes, limit);
    return await checkOpenZip(new SyncFileReader(file), zipBytes, prefix, limit);
  } finally {
    closeSync(file);
  }
}

async function checkOpenZip(reader: SyncFileReader, zipBytes: number, prefix: string, limit: ZipLimits): Promise<ZipSummary> {
  let zip: ZipFile;
  try {
    zip = await yauzl.fromRandomAccessReaderPromise(reader, zipBytes, {
      lazyEntries: true,
      autoClose: true,
      // Names are bytes to Go: keep them raw (no CP437 decoding, no Info-ZIP
      // Unicode path field) and decode them strictly below.
      decodeStrings: false,
      // Sizes are enforced below, with messages that name the entry.
      validateEntrySizes: false,
    });
  } catch (err) {
    throw new ZipCheckError(`corrupt zip: ${messageOf(err)}`);
  }

  const problems = new ProblemList();
  const collisions = new CollisionChecker();
  const digests: FileDigest[] = [];
  let files = 0;
  let declaredTotal = 0;
  let uncompressedBytes = 0;
  let goMod: Uint8Array | null = null;
  try {
    // Leaving this loop early closes the zip (the iterator's return()).
    for await (const entry of zip.eachEntry()) {
      const name = decodeName(entry.fileNameRaw);
      if (name === undefined) {
        problems.add(`zip entry ${JSON.stringify(entry.fileNameRaw.toString('latin1'))}: name is not valid UTF-8`);
        continue;
      }
      const rule = checkEntry(entry, name, prefix, collisions, limit);
      if (rule !== undefined) {
        problems.add(`zip entry ${JSON.stringify(name)}: ${rule}`);
        continue;
      }

      declaredTotal += entry.uncompressedSize;
      if (declaredTotal > limit.maxUncompressedBytes) {
        // Checked on the running total, before inflating: one report is enough.
        throw new ZipCheckError(
          problems.withLast(
            `module zip too large: more than ${formatBytes(limit.maxUncompressedBytes)} uncompressed (at zip entry ${JSON.stringify(name)})`,
          ),
        );
      }
      // Once the zip is known to be bad, only names are still checked, to report them all.
      if (problems.size > 0) continue;

      const isRootGoMod = name === `${prefix}go.mod`;
      const content = await readEntry(reader, zipBytes, entry, name, isRootGoMod);
      digests.push({ name, sha256Hex: content.sha256Hex });
      uncompressedBytes += entry.uncompressedSize;
      if (!name.endsWith('/')) files++;
      if (isRootGoMod) goMod = content.data ?? new Uint8Array();
    }
  } catch (err) {
    // Everything but the central directory's own errors is a ZipCheckError already.
    if (err instanceof ZipCheckError) throw err;
    throw new ZipCheckError(`corrupt zip: ${messageOf(err)}`);
  } finally {
    zip.close();
  }

  if (problems.size > 0) throw new ZipCheckError(problems.list());
  return { hash: hashFileList(digests), files, uncompressedBytes, zipBytes, goMod };
}

/**
 * SyncFileReader gives yauzl the zip through synchronous reads of an open
 * file, through two read-ahead windows: one follows the central directory
 * (two small reads per entry), the other the local headers and data of small
 * entries (read in file order), so each costs one system call per window, not
 * three per entry. The caller closes the file.
 */
class SyncFileReader extends yauzl.RandomAccessReader {
  readonly file: number;
  /** The window last used comes first; a read outside both refills the other. */
  readonly #windows: [ReadWindow, ReadWindow] = [ReadWindow.empty(), ReadWindow.empty()];

  constructor(file: number) {
    super();
    this.file = file;
  }

  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null, bytesRead?: number) => void): void {
    let bytesRead: number;
    try {
      bytesRead = this.readAt(buffer, offset, length, position);
    } catch (err) {
      callback(err as Error);
      return;
    }
    callback(null, bytesRead);
  }

  /** Reads up to length bytes at position; fewer only at the end of the file. */
  readAt(buffer: Uint8Array, offset: number, length: number, position: number): number {
    if (length > readAheadBytes / 2) return this.#readFile(buffer, offset, length, position);
    let [window, other] = this.#windows;
    if (!window.holds(position, length)) {
      if (!other.holds(position, length)) other.fill(position, this.#readFile(other.bytes, 0, readAheadBytes, position));
      [window, other] = [other, window];
      this.#windows.reverse();
    }
    return window.copy(buffer, offset, length, position);
  }

  #readFile(buffer: Uint8Array, offset: number, length: number, position: number): number {
    let done = 0;
    while (done < length) {
      const n = readSync(this.file, buffer, offset + done, length - done, position + done);
      if (n === 0) break;
      done += n;
    }
    return done;
  }

  override _readStreamForRange(start: number, end: number): Readable {
    return Readable.from(this.chunks(start, end - start));
  }

  /** The bytes [start, start + length) in chunks of streamChunkBytes; short of them, an error. */
  *chunks(start: number, length: number): Generator<Buffer> {
    for (let done = 0; done < length; ) {
      const chunk = Buffer.allocUnsafe(Math.min(streamChunkBytes, length - done));
      if (this.readAt(chunk, 0, chunk.length, start + done) < chunk.length) throw new Error('unexpected EOF');
      done += chunk.length;
      yield chunk;
    }
  }

  override close(callback: (err: Error | null) => void): void {
    callback(null);
  }
}

/** A stretch of the file held in memory: bytes [start, start + filled). */
class ReadWindow {
  readonly bytes: Buffer;
  /** Nothing is held until the first fill. */
  #start = Number.POSITIVE_INFINITY;
  #filled = 0;

  private constructor(bytes: Buffer) {
    this.bytes = bytes;
  }

  static empty(): ReadWindow {
    return new ReadWindow(Buffer.allocUnsafe(readAheadBytes));
  }

  /** Whether the window holds the range, or all of it the file has (at its end). */
  holds(position: number, length: number): boolean {
    const end = this.#start + this.#filled;
    return position >= this.#start && (position + length <= end || (this.#filled < readAheadBytes && position <= end));
  }

  fill(start: number, filled: number): void {
    this.#start = start;
    this.#filled = filled;
  }

  copy(buffer: Uint8Array, offset: number, length: number, position: number): number {
    const from = position - this.#start;
    const available = Math.max(0, Math.min(length, this.#filled - from));
    this.bytes.copy(buffer, offset, from, from + available);
    return available;
  }
}

function checkZipSize(zipBytes: number, limit: ZipLimits): void {
  if (zipBytes > limit.maxZipBytes) {
    throw new ZipCheckError(`zip too large: ${formatBytes(zipBytes)} > ${formatBytes(limit.maxZipBytes)}`);
  }
}

function decodeName(raw: Buffer): string | undefined {
  try {
    return utf8.decode(raw);
  } catch {
    return undefined;
  }
}

/**
 * checkEntry applies the name, mode and declared-size rules to one entry and
 * returns the rule it breaks, if any. The order follows x/mod's checkZip, so
 * the same entry is blamed for the same reason.
 */
function checkEntry(
  entry: Entry,
  name: string,
  prefix: string,
  collisions: CollisionChecker,
  limit: ZipLimits,
): string | undefined {
  if (!name.startsWith(prefix)) return `not under ${JSON.stringify(prefix)}`;
  let path = name.slice(prefix.length);
  if (path === '') return undefined; // the "M@V/" entry itself
  const isDir = path.endsWith('/');
  if (isDir) path = path.slice(0, -1);
  if (cleanPath(path) !== path) return 'file path is not clean';
  try {
    checkFilePath(path);
  } catch (err) {
    return messageOf(err);
  }
  const collision = collisions.check(path, isDir);
  if (collision !== undefined) return collision;
  const irregular = irregularFileType(entry);
  if (irregular !== undefined) return `${irregular} not allowed in module zip`;
  if (isDir) return undefined;

  const slash = path.lastIndexOf('/');
  const base = path.slice(slash + 1);
  if (caseFold(base) === 'go.mod') {
    if (base !== path) return 'go.mod file not in module root directory (a nested module does not belong in this zip)';
    if (path !== 'go.mod') return 'go.mod files must have lowercase names';
  }
  if (path === 'go.mod' && entry.uncompressedSize > limit.maxGoModBytes) {
    return `go.mod too large: ${formatBytes(entry.uncompressedSize)} > ${formatBytes(limit.maxGoModBytes)}`;
  }
  if (path === 'LICENSE' && entry.uncompressedSize > limit.maxLicenseBytes) {
    return `LICENSE too large: ${formatBytes(entry.uncompressedSize)} > ${formatBytes(limit.maxLicenseBytes)}`;
  }
  return undefined;
}

/**
 * irregularFileType reads the Unix file type from the entry's external
 * attributes (written only by Unix and macOS zippers: "version made by" host
 * 3 or 19) and names it when it is not a plain file or directory.
 */
function irregularFileType(entry: Entry): string | undefined {
  const host = entry.versionMadeBy >> 8;
  if (host !== 3 && host !== 19) return undefined;
  const type = (entry.externalFileAttributes >>> 16) & 0o170000;
  switch (type) {
    case 0:
    case 0o100000:
    case 0o040000:
      return undefined;
    case 0o120000:
      return 'symbolic link';
    default:
      return `irregular file (mode ${type.toString(8).padStart(6, '0')})`;
  }
}

type EntryContent = { sha256Hex: string; data: Uint8Array | undefined };

/**
 * Entries whose stored and inflated sizes are both at most this are read and
 * inflated in one step; larger ones are streamed, so memory stays bounded.
 */
const inMemoryEntryBytes = 8 << 20;

/** The read-ahead window of SyncFileReader; larger reads go to the file directly. */
const readAheadBytes = 1 << 20;

/** Stored bytes of a large entry are read in chunks of this size (direct reads, past the windows). */
const streamChunkBytes = 1 << 20;

/**
 * readEntry inflates one entry, hashing it and holding it to its declared size
 * and CRC-32; the content itself is kept only when keep is set (the root
 * go.mod, already known to be within its limit).
 */
async function readEntry(reader: SyncFileReader, zipBytes: number, entry: Entry, name: string, keep: boolean): Promise<EntryContent> {
  const declared = entry.uncompressedSize;
  const sha = createHash('sha256');
  let crc = 0;
  let read = 0;
  let data: Buffer | undefined;
  let raw: Readable | undefined;
  try {
    const start = entryDataStart(reader, zipBytes, entry);
    if (entry.compressedSize <= inMemoryEntryBytes && declared <= inMemoryEntryBytes) {
      const stored = Buffer.allocUnsafe(entry.compressedSize);
      reader.readAt(stored, 0, stored.length, start);
      data = entry.compressionMethod === 8 ? inflateAtMost(stored, declared, name) : stored;
      read = data.length;
      sha.update(data);
      crc = crc32(data);
      // A zip of large entries would otherwise leave megabytes per entry to the collector, which
      // a worker thread runs late: a 50 MiB zip of 4 MiB files took ~75 MiB more (bench/README.md).
      if (data !== stored) releaseAtOnce(stored);
      if (!keep) releaseAtOnce(data);
    } else {
      const chunks: Buffer[] = [];
      raw = Readable.from(reader.chunks(start, entry.compressedSize));
      const stream = entry.compressionMethod === 8 ? inflated(raw) : raw;
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        read += chunk.length;
        if (read > declared) throw tooLarge(name, declared);
        sha.update(chunk);
        crc = crc32(chunk, crc);
        if (keep) chunks.push(chunk);
      }
      if (keep) data = Buffer.concat(chunks, read);
    }
  } catch (err) {
    if (err instanceof ZipCheckError) throw err;
    throw new ZipCheckError(`zip entry ${JSON.stringify(name)}: cannot read: ${messageOf(err)}`);
  } finally {
    raw?.destroy();
  }
  if (read > declared) throw tooLarge(name, declared);
  if (read < declared) {
    throw new ZipCheckError(
      `zip entry ${JSON.stringify(name)}: inflates to ${formatBytes(read)}, less than its declared size (${formatBytes(declared)})`,
    );
  }
  // Go's archive/zip skips the check when the recorded CRC-32 is zero and no
  // data descriptor follows; a zero CRC-32 is otherwise only right for no data.
  const hasDataDescriptor = (entry.generalPurposeBitFlag & 0x8) !== 0;
  if (crc !== entry.crc32 && (entry.crc32 !== 0 || hasDataDescriptor)) {
    throw new ZipCheckError(`zip entry ${JSON.stringify(name)}: CRC-32 mismatch (content is corrupt)`);
  }
  return { sha256Hex: sha.digest('hex'), data: keep ? data : undefined };
}

function tooLarge(name: string, declared: number): ZipCheckError {
  return new ZipCheckError(`zip entry ${JSON.stringify(name)}: inflates to more than its declared size (${formatBytes(declared)})`);
}

/** Inflates a whole deflate stream, stopping one byte past the declared size (which is then refused). */
function inflateAtMost(deflated: Buffer, declared: number, name: string): Buffer {
  try {
    // Output in one buffer of the declared size (not 16 KiB pieces joined at the end); more fails.
    return inflateRawSync(deflated, { maxOutputLength: declared + 1, chunkSize: Math.max(declared, 64) });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(name, declared);
    throw err;
  }
}

/** Local file header: signature, then the name and extra field lengths at 26 and 28. */
const localHeaderBytes = 30;
const localHeaderSignature = 0x04034b50;

/**
 * entryDataStart reads the entry's local header and returns where its stored
 * bytes start, refusing what is not a local header or runs past the file.
 */
function entryDataStart(reader: SyncFileReader, zipBytes: number, entry: Entry): number {
  if (entry.isEncrypted()) throw new Error('entry is encrypted');
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
    throw new Error(`unsupported compression method ${entry.compressionMethod} (only store and deflate are)`);
  }
  const header = Buffer.alloc(localHeaderBytes);
  if (reader.readAt(header, 0, localHeaderBytes, entry.relativeOffsetOfLocalHeader) < localHeaderBytes) throw new Error('unexpected EOF');
  const signature = header.readUInt32LE(0);
  if (signature !== localHeaderSignature) throw new Error(`invalid local file header signature: 0x${signature.toString(16)}`);
  const start = entry.relativeOffsetOfLocalHeader + localHeaderBytes + header.readUInt16LE(26) + header.readUInt16LE(28);
  if (start + entry.compressedSize > zipBytes) {
    throw new Error(`file data overflows file bounds: ${start} + ${entry.compressedSize} > ${zipBytes}`);
  }
  return start;
}

/** Inflate in larger steps than zlib's default 16 KiB: hashing costs less per byte. */
const inflateChunkBytes = 256 << 10;

function inflated(deflated: Readable): Readable {
  const inflate = createInflateRaw({ chunkSize: inflateChunkBytes });
  deflated.on('error', (err) => inflate.destroy(err));
  return deflated.pipe(inflate);
}

/** ProblemList keeps the first problems found and counts the rest. */
class ProblemList {
  readonly #listed: string[] = [];
  #more = 0;

  get size(): number {
    return this.#listed.length + this.#more;
  }

  add(problem: string): void {
    if (this.#listed.length < maxListedProblems) this.#listed.push(problem);
    else this.#more++;
  }

  list(): string[] {
    return this.#more === 0 ? [...this.#listed] : [...this.#listed, `and ${this.#more} more problems`];
  }

  withLast(problem: string): string[] {
    this.add(problem);
    return this.list();
  }
}
