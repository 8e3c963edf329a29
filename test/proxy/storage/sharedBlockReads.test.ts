// SharedBlockReads (proxy/storage/sharedBlockReads.ts) over an object in memory whose ranges come
// in uneven pieces: readers get exactly the object's bytes; readers of one version going along
// together fetch each block once; readers of other versions share nothing; a range that fails or
// comes short fails the readers waiting for it and is asked again later. Against a real S3 server
// the same reads are in compliance.test.ts.
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { BLOCK_BYTES, SharedBlockReads, type BlockReader } from '../../../proxy/storage/sharedBlockReads.ts';

const READ = 64 * 1024;

/** A store of one object: ranges in pieces of 10,000 bytes, a fetch counted per block start. */
function objectStore(content: Buffer, options: { failFirstFetchOf?: number; shortAt?: number } = {}) {
  const fetches: number[] = [];
  let failing = options.failFirstFetchOf;
  async function* range(start: number, end: number): AsyncGenerator<Uint8Array> {
    const stop = options.shortAt !== undefined && options.shortAt <= end ? options.shortAt : end + 1;
    for (let at = start; at < stop; at += 10_000) {
      await sleep(0);
      yield content.subarray(at, Math.min(stop, at + 10_000));
    }
  }
  const fetch = async (start: number, end: number) => {
    fetches.push(start);
    if (failing === start) {
      failing = undefined;
      throw new Error(`range ${start}-${end}: connection refused`);
    }
    return range(start, end);
  };
  return { fetch, fetches };
}

/** Reads the whole object through readAt, READ bytes at a time, as sendObject does. */
async function readAll(reader: BlockReader, size: number): Promise<Buffer> {
  const out = Buffer.alloc(size);
  let position = 0;
  while (position < size) {
    const length = await reader.readAt(out.subarray(position, Math.min(size, position + READ)), position);
    if (length === 0) throw new Error(`no bytes at ${position}`);
    position += length;
  }
  return out;
}

const sha = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

describe('SharedBlockReads', () => {
  it('gives each reader the exact bytes, and reads each block once for readers going along together', async () => {
    const content = randomBytes(5 * BLOCK_BYTES + 12_345);
    const store = objectStore(content);
    const reads = new SharedBlockReads();
    const readers = Array.from({ length: 16 }, () => reads.open('m.zip\n"etag-1"', content.length, store.fetch));
    const results = await Promise.all(readers.map((reader) => readAll(reader, content.length)));
    for (const result of results) expect(sha(result)).toBe(sha(content));
    expect(store.fetches.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5].map((block) => block * BLOCK_BYTES));
    for (const reader of readers) reader.close();
    // Nobody reads any more: no block is held.
    expect(reads.heldBlocks).toBe(0);
  });

  it('reads at any position, a block at most at a time, and nothing past the end', async () => {
    const content = randomBytes(2 * BLOCK_BYTES + 100);
    const store = objectStore(content);
    const reader = new SharedBlockReads().open('m.zip\n"etag-1"', content.length, store.fetch);
    const buffer = Buffer.alloc(3000);
    expect(await reader.readAt(buffer, BLOCK_BYTES - 1000)).toBe(1000);
    expect(buffer.subarray(0, 1000)).toEqual(content.subarray(BLOCK_BYTES - 1000, BLOCK_BYTES));
    expect(await reader.readAt(buffer, 2 * BLOCK_BYTES + 50)).toBe(50);
    expect(buffer.subarray(0, 50)).toEqual(content.subarray(2 * BLOCK_BYTES + 50));
    expect(await reader.readAt(buffer, content.length)).toBe(0);
    reader.close();
    await expect(reader.readAt(buffer, 0)).rejects.toThrow(/used after close/);
  });

  it('shares nothing between versions of an object', async () => {
    const first = randomBytes(BLOCK_BYTES);
    const second = randomBytes(BLOCK_BYTES);
    const reads = new SharedBlockReads();
    const a = reads.open('m.zip\n"etag-1"', first.length, objectStore(first).fetch);
    const b = reads.open('m.zip\n"etag-2"', second.length, objectStore(second).fetch);
    expect(sha(await readAll(a, first.length))).toBe(sha(first));
    expect(sha(await readAll(b, second.length))).toBe(sha(second));
  });

  it('fails the readers of a block that cannot be fetched, and fetches it again for a later read', async () => {
    const content = randomBytes(2 * BLOCK_BYTES);
    const store = objectStore(content, { failFirstFetchOf: BLOCK_BYTES });
    const reads = new SharedBlockReads();
    const readers = [reads.open('m.zip\n"e"', content.length, store.fetch), reads.open('m.zip\n"e"', content.length, store.fetch)];
    // Both ask for the block before its fetch fails.
    const attempts = readers.map((reader) => reader.readAt(Buffer.alloc(READ), BLOCK_BYTES));
    for (const attempt of attempts) await expect(attempt).rejects.toThrow(/connection refused/);
    for (const reader of readers) reader.close();
    const later = reads.open('m.zip\n"e"', content.length, store.fetch);
    expect(sha(await readAll(later, content.length))).toBe(sha(content));
  });

  it('fails a block the store sends short', async () => {
    const content = randomBytes(BLOCK_BYTES + 5000);
    const reader = new SharedBlockReads().open('m.zip\n"e"', content.length, objectStore(content, { shortAt: BLOCK_BYTES + 2000 }).fetch);
    await expect(reader.readAt(Buffer.alloc(READ), BLOCK_BYTES)).rejects.toThrow(/sent 2000 of the 5000 bytes asked for/);
  });
});
