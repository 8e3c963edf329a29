// Writing a module zip: deflated entries with fixed timestamps and permissions, streamed to a
// file, and the central directory (with zip64 end records when the entries are 65535 or more).

import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { crc32, createDeflateRaw, deflateRaw, deflateRawSync } from 'node:zlib';
import type { ZlibOptions } from 'node:zlib';
import { ZipCheckError } from './errors.ts';
import { formatBytes } from './limits.ts';


/** Zip format constants (PKWARE APPNOTE). */
const localHeaderSignature = 0x04034b50;
const centralHeaderSignature = 0x02014b50;
const endOfCentralDirectorySignature = 0x06054b50;
const zip64EndSignature = 0x06064b50;
const zip64LocatorSignature = 0x07064b50;
const versionNeededDeflate = 20;
const versionNeededZip64 = 45;
/** Made by Unix (3), spec 2.0: the external attributes then carry a Unix mode. */
const versionMadeBy = (3 << 8) | versionNeededDeflate;
const methodDeflate = 8;
const flagUtf8 = 0x800;
/** 1980-01-01 00:00, the earliest MS-DOS date: every entry gets it, for byte-identical zips. */
const dosDate = (1 << 5) | 1;
const dosTime = 0;
/** A regular file, rw-r--r--: Go ignores permissions, so every file gets the same. */
const externalAttributes = (0o100644 << 16) >>> 0;
const max32 = 0xffffffff;
const max16 = 0xffff;

const flushBytes = 1 << 20;
const syncDeflateBytes = 64 << 10;
const deflateOptions: ZlibOptions = { chunkSize: 256 << 10 };
const deflateBuffer = promisify(deflateRaw) as (data: Uint8Array, options: ZlibOptions) => Promise<Buffer>;

type CentralEntry = { name: Buffer; flags: number; crc: number; compressedSize: number; size: number; offset: number };

/**
 * ZipWriter appends deflated entries to a file and writes the central directory at the end.
 * Writes are batched; each local header is completed (CRC-32 and sizes) once its data is written,
 * in the batch when it is still there, else in place in the file.
 */
export class ZipWriter {
  readonly #handle: FileHandle;
  readonly #maxBytes: number;
  readonly #entries: CentralEntry[] = [];
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #flushedTo = 0;
  #position = 0;

  constructor(handle: FileHandle, maxBytes: number) {
    this.#handle = handle;
    this.#maxBytes = maxBytes;
  }

  /**
   * addFile writes the entry name, deflated, and returns the hex SHA-256 of its content; path
   * names the file in errors.
   */
  async addFile(
    name: string,
    path: string,
    content: NodeJS.ReadableStream | Uint8Array,
    declaredSize: number,
  ): Promise<string> {
    const nameBytes = Buffer.from(name, 'utf8');
    const flags = /^[\x00-\x7f]*$/.test(name) ? 0 : flagUtf8;
    const offset = this.#position;
    const header = Buffer.alloc(30 + nameBytes.length);
    header.writeUInt32LE(localHeaderSignature, 0);
    header.writeUInt16LE(versionNeededDeflate, 4);
    header.writeUInt16LE(flags, 6);
    header.writeUInt16LE(methodDeflate, 8);
    header.writeUInt16LE(dosTime, 10);
    header.writeUInt16LE(dosDate, 12);
    // CRC-32 and sizes at 14..26 are filled in below.
    header.writeUInt16LE(nameBytes.length, 26);
    header.writeUInt16LE(0, 28);
    nameBytes.copy(header, 30);
    await this.#append(header);

    const sha = createHash('sha256');
    let crc = 0;
    let size = 0;
    const dataStart = this.#position;
    const tooLarge = () =>
      new ZipCheckError(`file ${JSON.stringify(path)}: larger than its declared size (${formatBytes(declaredSize)})`);
    // A small file is read whole (a deflate stream for each of many small files costs more than the files).
    if (!(content instanceof Uint8Array) && declaredSize <= syncDeflateBytes) {
      content = await readAll(content, declaredSize, path);
    }
    if (content instanceof Uint8Array) {
      if (content.length > declaredSize) throw tooLarge();
      size = content.length;
      sha.update(content);
      crc = crc32(content);
      // Small files are deflated at once, into a buffer of about their size: a trip to the
      // thread pool, or a large output buffer, costs more than the work.
      const deflated =
        content.length <= syncDeflateBytes
          ? deflateRawSync(content, { chunkSize: Math.max(1024, content.length + 64) })
          : await deflateBuffer(content, deflateOptions);
      await this.#append(deflated);
    } else {
      await pipeline(
        content,
        async function* measure(source: AsyncIterable<Buffer | string>) {
          for await (const chunk of source) {
            const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
            size += bytes.length;
            if (size > declaredSize) throw tooLarge();
            sha.update(bytes);
            crc = crc32(bytes, crc);
            yield bytes;
          }
        },
        createDeflateRaw(deflateOptions),
        async (deflated: AsyncIterable<Buffer>) => {
          for await (const chunk of deflated) await this.#append(chunk);
        },
      );
    }
    if (size < declaredSize) {
      throw new ZipCheckError(
        `file ${JSON.stringify(path)}: ${formatBytes(size)}, less than its declared size (${formatBytes(declaredSize)})`,
      );
    }
    const compressedSize = this.#position - dataStart;
    if (compressedSize >= max32 || size >= max32 || offset >= max32) {
      throw new ZipCheckError(`file ${JSON.stringify(path)}: beyond 4 GiB (zip64 entries are not written)`);
    }
    header.writeUInt32LE(crc >>> 0, 14);
    header.writeUInt32LE(compressedSize, 18);
    header.writeUInt32LE(size, 22);
    if (offset < this.#flushedTo) await this.#writeAt(header.subarray(14, 26), offset + 14);
    this.#entries.push({ name: nameBytes, flags, crc: crc >>> 0, compressedSize, size, offset });
    return sha.digest('hex');
  }

  /**
   * finish writes the central directory, with zip64 end records when there are 65535 entries or
   * more, and returns the size of the zip.
   */
  async finish(): Promise<number> {
    const centralStart = this.#position;
    for (const e of this.#entries) {
      const h = Buffer.alloc(46 + e.name.length);
      h.writeUInt32LE(centralHeaderSignature, 0);
      h.writeUInt16LE(versionMadeBy, 4);
      h.writeUInt16LE(versionNeededDeflate, 6);
      h.writeUInt16LE(e.flags, 8);
      h.writeUInt16LE(methodDeflate, 10);
      h.writeUInt16LE(dosTime, 12);
      h.writeUInt16LE(dosDate, 14);
      h.writeUInt32LE(e.crc, 16);
      h.writeUInt32LE(e.compressedSize, 20);
      h.writeUInt32LE(e.size, 24);
      h.writeUInt16LE(e.name.length, 28);
      // Extra field, comment, disk number start and internal attributes: 0.
      h.writeUInt32LE(externalAttributes, 38);
      h.writeUInt32LE(e.offset, 42);
      e.name.copy(h, 46);
      await this.#append(h);
    }
    const centralSize = this.#position - centralStart;
    const count = this.#entries.length;
    const zip64 = count >= max16 || centralStart >= max32 || centralSize >= max32;
    if (zip64) {
      const recordStart = this.#position;
      const record = Buffer.alloc(56);
      record.writeUInt32LE(zip64EndSignature, 0);
      record.writeBigUInt64LE(44n, 4);
      record.writeUInt16LE((3 << 8) | versionNeededZip64, 12);
      record.writeUInt16LE(versionNeededZip64, 14);
      // Disk numbers at 16 and 20: 0.
      record.writeBigUInt64LE(BigInt(count), 24);
      record.writeBigUInt64LE(BigInt(count), 32);
      record.writeBigUInt64LE(BigInt(centralSize), 40);
      record.writeBigUInt64LE(BigInt(centralStart), 48);
      const locator = Buffer.alloc(20);
      locator.writeUInt32LE(zip64LocatorSignature, 0);
      locator.writeBigUInt64LE(BigInt(recordStart), 8);
      locator.writeUInt32LE(1, 16);
      await this.#append(record);
      await this.#append(locator);
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(endOfCentralDirectorySignature, 0);
    end.writeUInt16LE(Math.min(count, max16), 8);
    end.writeUInt16LE(Math.min(count, max16), 10);
    end.writeUInt32LE(Math.min(centralSize, max32), 12);
    end.writeUInt32LE(Math.min(centralStart, max32), 16);
    await this.#append(end);
    await this.#flush();
    return this.#position;
  }

  async #append(chunk: Buffer): Promise<void> {
    this.#position += chunk.length;
    if (this.#position > this.#maxBytes) {
      throw new ZipCheckError(`module zip too large: more than ${formatBytes(this.#maxBytes)}`);
    }
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    if (this.#pendingBytes >= flushBytes) await this.#flush();
  }

  async #flush(): Promise<void> {
    if (this.#pendingBytes === 0) return;
    const chunks = this.#pending;
    const total = this.#pendingBytes;
    const at = this.#flushedTo;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#flushedTo += total;
    const { bytesWritten } = await this.#handle.writev(chunks, at);
    if (bytesWritten < total) await this.#writeAt(Buffer.concat(chunks, total).subarray(bytesWritten), at + bytesWritten);
  }

  async #writeAt(bytes: Buffer, position: number): Promise<void> {
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await this.#handle.write(bytes, done, bytes.length - done, position + done);
      done += bytesWritten;
    }
  }
}

/** readAll reads a file's whole content (a go.mod, within its size limit), holding it to its declared size. */

export async function readAll(content: NodeJS.ReadableStream | Uint8Array, declaredSize: number, path: string): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  if (content instanceof Uint8Array) {
    chunks.push(Buffer.from(content.buffer, content.byteOffset, content.length));
    size = content.length;
  } else {
    for await (const chunk of content as AsyncIterable<Buffer | string>) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      size += bytes.length;
      if (size > declaredSize) break;
      chunks.push(bytes);
    }
  }
  if (size !== declaredSize) {
    const actual = size > declaredSize ? 'larger than' : `${formatBytes(size)}, less than`;
    throw new ZipCheckError(`file ${JSON.stringify(path)}: ${actual} its declared size (${formatBytes(declaredSize)})`);
  }
  return Buffer.concat(chunks, size);
}
