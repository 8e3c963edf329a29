/**
 * Unpacks the tar stream of `git archive` into a folder, safely: every path
 * must stay inside the folder, symbolic links are recorded but never created,
 * only regular files get content, and the export stops before the file that
 * would take the sizes past `maxBytes` is written (ExportLimitError): a small
 * repository can hold a file that inflates to gigabytes. Reads ustar headers and the pax
 * extended headers git writes for long or non-ASCII names.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';

export type ExtractedEntry = {
  /** Slash-separated path as in the archive (without a trailing slash). */
  path: string;
  kind: 'file' | 'symlink' | 'directory' | 'other';
  size: number;
};

const BLOCK = 512;

/** The files of an export add up to more than the limit; nothing past it was written. */
export class ExportLimitError extends Error {
  readonly maxBytes: number;
  readonly entry: string;

  constructor(maxBytes: number, entry: string) {
    super(`the exported files add up to more than ${maxBytes} bytes (at ${JSON.stringify(entry)})`);
    this.name = 'ExportLimitError';
    this.maxBytes = maxBytes;
    this.entry = entry;
  }
}

/** Reads exactly n bytes from the stream's chunks, or fewer at its end. */
class ChunkReader {
  private readonly iterator: AsyncIterator<Buffer>;
  private pending: Buffer = Buffer.alloc(0);
  private done = false;

  constructor(stream: Readable) {
    this.iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  async read(n: number): Promise<Buffer> {
    while (this.pending.length < n && !this.done) {
      const next = await this.iterator.next();
      if (next.done) this.done = true;
      else this.pending = this.pending.length === 0 ? next.value : Buffer.concat([this.pending, next.value]);
    }
    const out = this.pending.subarray(0, n);
    this.pending = this.pending.subarray(out.length);
    return out;
  }

  /** Passes the next n bytes to `sink` chunk by chunk. */
  async pipe(n: number, sink: (chunk: Buffer) => Promise<void>): Promise<void> {
    let left = n;
    while (left > 0) {
      const chunk = await this.read(Math.min(left, 1 << 20));
      if (chunk.length === 0) throw new Error('tar stream ends inside a file');
      await sink(chunk);
      left -= chunk.length;
    }
  }
}

function text(header: Buffer, start: number, length: number): string {
  const field = header.subarray(start, start + length);
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? field.length : end).toString('utf8');
}

function size(header: Buffer): number {
  const field = header.subarray(124, 136);
  if ((field[0]! & 0x80) !== 0) {
    let value = 0;
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i]!;
    return value;
  }
  return parseInt(text(header, 124, 12).trim() || '0', 8);
}

function paxRecords(body: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let offset = 0;
  while (offset < body.length) {
    const space = body.indexOf(0x20, offset);
    if (space < 0) break;
    const length = Number(body.subarray(offset, space).toString('ascii'));
    if (!Number.isInteger(length) || length <= 0) break;
    const record = body.subarray(space + 1, offset + length - 1).toString('utf8');
    const equals = record.indexOf('=');
    if (equals > 0) records.set(record.slice(0, equals), record.slice(equals + 1));
    offset += length;
  }
  return records;
}

/** Extracts a tar stream into `destination` (which must exist) and lists what it held. */
export async function extractTar(stream: Readable, destination: string, maxBytes = Number.POSITIVE_INFINITY): Promise<ExtractedEntry[]> {
  const reader = new ChunkReader(stream);
  let total = 0;
  const root = path.resolve(destination);
  const entries: ExtractedEntry[] = [];
  let pax = new Map<string, string>();
  for (;;) {
    const header = await reader.read(BLOCK);
    if (header.length < BLOCK) break;
    if (header.every((b) => b === 0)) {
      // The end marker; read on to the end of the stream (tar pads its last record), so that
      // the process writing it can finish.
      while ((await reader.read(BLOCK * 20)).length > 0);
      break;
    }
    const type = String.fromCharCode(header[156]!);
    let name = text(header, 0, 100);
    const prefix = text(header, 345, 155);
    if (prefix) name = `${prefix}/${name}`;
    const paxPath = pax.get('path');
    const length = pax.has('size') ? Number(pax.get('size')) : size(header);
    if (paxPath !== undefined) name = paxPath;
    const padded = Math.ceil(length / BLOCK) * BLOCK;

    if (type === 'x' || type === 'g') {
      const body = await reader.read(padded);
      if (type === 'x') pax = paxRecords(body.subarray(0, length));
      continue;
    }
    pax = new Map();
    const relative = name.replace(/\/+$/, '');
    const target = path.resolve(root, relative);
    if (relative === '' || !target.startsWith(root + path.sep)) throw new Error(`archive entry ${JSON.stringify(name)} leaves the folder`);

    if (type === '0' || type === '\0' || type === '7') {
      total += length;
      if (total > maxBytes) throw new ExportLimitError(maxBytes, relative);
      await fs.mkdir(path.dirname(target), { recursive: true });
      const handle = await fs.open(target, 'wx');
      try {
        await reader.pipe(length, async (chunk) => {
          await handle.write(chunk);
        });
      } finally {
        await handle.close();
      }
      await reader.read(padded - length);
      entries.push({ path: relative, kind: 'file', size: length });
    } else {
      await reader.read(padded);
      entries.push({ path: relative, kind: type === '2' ? 'symlink' : type === '5' ? 'directory' : 'other', size: 0 });
    }
  }
  return entries;
}
