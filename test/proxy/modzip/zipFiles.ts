// Building module zips for tests: well-formed ones with yazl, and broken ones by
// patching the bytes yazl wrote (names it refuses to write, sizes and CRCs that
// lie, truncated files).

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yazl from 'yazl';

export type ZipEntrySpec = {
  name: string;
  /** File content; omit for a directory entry (name ending in "/"). */
  data?: string | Uint8Array;
  /** Unix mode, file type bits included (0o100644 by default). */
  mode?: number;
  /** Deflate (the default) or store. */
  compress?: boolean;
};

/** zipBytes builds a zip holding entries in this order. */
export function zipBytes(entries: readonly ZipEntrySpec[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  const mtime = new Date('2024-01-01T00:00:00Z');
  for (const entry of entries) {
    if (entry.data === undefined) {
      zip.addEmptyDirectory(entry.name, { mtime });
    } else {
      const data = typeof entry.data === 'string' ? Buffer.from(entry.data, 'utf8') : Buffer.from(entry.data);
      zip.addBuffer(data, entry.name, { mtime, mode: entry.mode ?? 0o100644, compress: entry.compress ?? true });
    }
  }
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (chunk: Buffer) => chunks.push(chunk));
    zip.outputStream.on('error', reject);
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

/** replaceBytes replaces every occurrence of from with to, which must have the same length. */
export function replaceBytes(zip: Buffer, from: string | Uint8Array, to: Uint8Array | string): Buffer {
  const a = Buffer.from(from);
  const b = Buffer.from(to);
  if (a.length !== b.length) throw new Error('replaceBytes: lengths differ');
  const out = Buffer.from(zip);
  let found = 0;
  for (let i = out.indexOf(a); i >= 0; i = out.indexOf(a, i + a.length)) {
    b.copy(out, i);
    found++;
  }
  if (found === 0) throw new Error(`replaceBytes: ${JSON.stringify(a.toString('latin1'))} not found`);
  return out;
}

type CentralHeader = { offset: number; name: string; localOffset: number };

function centralHeaders(zip: Buffer): CentralHeader[] {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error('no end of central directory');
  const count = zip.readUInt16LE(eocd + 10);
  let offset = zip.readUInt32LE(eocd + 16);
  const headers: CentralHeader[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(offset) !== 0x02014b50) throw new Error('bad central directory header');
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const name = zip.subarray(offset + 46, offset + 46 + nameLength).toString('utf8');
    headers.push({ offset, name, localOffset: zip.readUInt32LE(offset + 42) });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return headers;
}

function headerOf(zip: Buffer, name: string): CentralHeader {
  const header = centralHeaders(zip).find((h) => h.name === name);
  if (header === undefined) throw new Error(`no entry ${name}`);
  return header;
}

/** setDeclaredSize makes the central directory and local header claim another uncompressed size. */
export function setDeclaredSize(zip: Buffer, name: string, size: number): Buffer {
  const out = Buffer.from(zip);
  const header = headerOf(out, name);
  out.writeUInt32LE(size, header.offset + 24);
  if (out.readUInt32LE(header.localOffset + 22) !== 0) out.writeUInt32LE(size, header.localOffset + 22);
  return out;
}

/** setCrc32 makes the central directory and local header claim another CRC-32. */
export function setCrc32(zip: Buffer, name: string, crc: number): Buffer {
  const out = Buffer.from(zip);
  const header = headerOf(out, name);
  out.writeUInt32LE(crc, header.offset + 16);
  if (out.readUInt32LE(header.localOffset + 14) !== 0) out.writeUInt32LE(crc, header.localOffset + 14);
  return out;
}

/** damageData overwrites the first bytes of an entry's stored data (for deflate: an invalid block type). */
export function damageData(zip: Buffer, name: string): Buffer {
  const out = Buffer.from(zip);
  const { localOffset } = headerOf(out, name);
  const dataStart = localOffset + 30 + out.readUInt16LE(localOffset + 26) + out.readUInt16LE(localOffset + 28);
  out.fill(0xff, dataStart, dataStart + 2);
  return out;
}

/** damageCentralDirectory breaks the signature of the central directory header of an entry. */
export function damageCentralDirectory(zip: Buffer, name: string): Buffer {
  const out = Buffer.from(zip);
  out.writeUInt32LE(0xdeadbeef, headerOf(out, name).offset);
  return out;
}

/** withTempDir runs fn in a fresh temporary directory and removes it afterwards. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'modzip-test-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  }
}

/** writeZip writes zip bytes to dir/name and returns the path. */
export async function writeZip(dir: string, name: string, bytes: Uint8Array): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}
