/**
 * Random access to the objects of a store without local files (S3): an object is read in blocks
 * of BLOCK_BYTES, each by one ranged request whose bytes are copied into pooled buffers, and a
 * block is shared by every reader of the same object version that needs it while it is held.
 * 64 clients downloading one zip then cost one read of each block from the store, not 64 streams
 * whose every socket read is a new buffer left to the collector (bench/README.md, memory).
 *
 * The rules:
 * - a reader holds the block it reads from, and lets go of it when it reads another or closes;
 *   while under PREFETCH_BELOW blocks are held in all, it also holds the next block, loading;
 * - a block no reader holds rests while an open reader of its version is behind it (readers of
 *   one zip drift apart by a few blocks), among at most RESTING_BLOCKS, the oldest let go first;
 *   a block no open reader will come to gives its buffers back at once, and so do the resting
 *   blocks of a version whose last reader closes;
 * - every block of a reader comes from the same object version (the ranged requests carry its
 *   ETag as If-Match): a block that cannot be read so fails each reader waiting for it, and is
 *   not kept, so a later read asks again;
 * - a block's buffers go back to the pool only once its load has settled.
 */
import { giveBack, POOLED_BUFFER_BYTES, releaseAtOnce, takeBuffer } from '../bufferPool.ts';

/** Bytes of one block: a multiple of the pooled buffer, and of sendObject's reads. */
export const BLOCK_BYTES = 16 * POOLED_BUFFER_BYTES;
/**
 * Blocks no reader holds that are kept for readers behind them. Few: 64 clients of one 50 MiB zip
 * drift up to 20 blocks apart, and keeping 12 cost more memory (pooled buffers held) than the
 * blocks read twice saved (their socket reads); 2 and 4 measured lowest (bench/README.md).
 */
export const RESTING_BLOCKS = 2;
/** Readers load their next block ahead only while fewer blocks than this are held: a lone reader does. */
const PREFETCH_BELOW = 2;

/**
 * The bytes [start, end] (both included) of the object version a reader was opened on, in pieces
 * that are the reader's alone: each is released at once when its bytes are copied.
 */
export type FetchRange = (start: number, end: number) => Promise<AsyncIterable<Uint8Array>> | AsyncIterable<Uint8Array>;

export type BlockReader = {
  /** Reads into `buffer` from `position`, at most to the end of that position's block; resolves to the bytes read. */
  readAt(buffer: Uint8Array, position: number): Promise<number>;
  /** Lets go of the blocks held; the reader is not used afterwards. */
  close(): void;
};

/** The open readers of one object version, by the block each reads from. */
type Readers = Set<{ index: number }>;

type Block = {
  id: string;
  index: number;
  readers: Readers;
  users: number;
  length: number;
  chunks: Buffer[];
  loaded: Promise<void>;
  failed: boolean;
};

export class SharedBlockReads {
  readonly #blocks = new Map<string, Block>();
  readonly #resting: Block[] = [];
  readonly #readers = new Map<string, Readers>();

  /** Blocks held by readers or resting, loaded or loading (for tests and metrics). */
  get heldBlocks(): number {
    return this.#blocks.size;
  }

  /**
   * A reader of the object version named `version` (its key and ETag: readers of the same
   * version share blocks), `size` bytes long, whose bytes `fetch` gets.
   */
  open(version: string, size: number, fetch: FetchRange): BlockReader {
    let current: Block | undefined;
    let next: Block | undefined;
    let closed = false;
    const readers = this.#readers.get(version) ?? new Set();
    this.#readers.set(version, readers);
    const place = { index: -1 };
    readers.add(place);
    const blockAt = (index: number): Block => this.#acquire(`${version}\n${index}`, index, readers, size, fetch);
    return {
      readAt: async (buffer, position) => {
        if (closed) throw new Error(`reader of ${version} used after close`);
        if (position >= size || buffer.byteLength === 0) return 0;
        const index = Math.floor(position / BLOCK_BYTES);
        if (index !== place.index) {
          const previous = current;
          if (next && place.index + 1 === index) current = next;
          else {
            if (next) this.#release(next);
            current = blockAt(index);
          }
          next = undefined;
          place.index = index;
          if (previous) this.#release(previous);
          const nextStart = (index + 1) * BLOCK_BYTES;
          if (nextStart < size && this.#blocks.size < PREFETCH_BELOW) next = blockAt(index + 1);
        }
        const block = current!;
        await block.loaded;
        if (closed) throw new Error(`reader of ${version} closed during a read`);
        return copyOut(block, buffer, position - index * BLOCK_BYTES);
      },
      close: () => {
        if (closed) return;
        closed = true;
        readers.delete(place);
        if (current) this.#release(current);
        if (next) this.#release(next);
        current = next = undefined;
        if (readers.size === 0) {
          this.#readers.delete(version);
          this.#letGoResting(readers);
        }
      },
    };
  }

  #acquire(id: string, index: number, readers: Readers, size: number, fetch: FetchRange): Block {
    const held = this.#blocks.get(id);
    if (held) {
      if (held.users++ === 0) this.#resting.splice(this.#resting.indexOf(held), 1);
      return held;
    }
    const start = index * BLOCK_BYTES;
    const block: Block = { id, index, readers, users: 1, length: Math.min(BLOCK_BYTES, size - start), chunks: [], loaded: Promise.resolve(), failed: false };
    this.#blocks.set(id, block);
    block.loaded = load(block, fetch, start).catch((err: unknown) => {
      block.failed = true;
      if (this.#blocks.get(id) === block) this.#blocks.delete(id);
      throw err;
    });
    // A prefetched block may fail with nobody reading it yet: its reader meets the error when it does.
    block.loaded.catch(() => {});
    return block;
  }

  /** Frees the resting blocks of a version that has no reader left. */
  #letGoResting(readers: Readers): void {
    for (const block of this.#resting.filter((resting) => resting.readers === readers)) {
      this.#resting.splice(this.#resting.indexOf(block), 1);
      this.#blocks.delete(block.id);
      freeWhenSettled(block);
    }
  }

  #release(block: Block): void {
    if (--block.users > 0) return;
    const awaited = [...block.readers].some((reader) => reader.index < block.index);
    if (block.failed || this.#blocks.get(block.id) !== block || !awaited) {
      if (this.#blocks.get(block.id) === block) this.#blocks.delete(block.id);
      return freeWhenSettled(block);
    }
    this.#resting.push(block);
    while (this.#resting.length > RESTING_BLOCKS) {
      const oldest = this.#resting.shift()!;
      this.#blocks.delete(oldest.id);
      freeWhenSettled(oldest);
    }
  }
}

/** Reads the block's bytes into pooled buffers; fewer or more bytes than the block's length fail it. */
async function load(block: Block, fetch: FetchRange, start: number): Promise<void> {
  let filled = 0;
  for await (const piece of await fetch(start, start + block.length - 1)) {
    if (filled + piece.byteLength > block.length) throw new Error(`the store sent more than the ${block.length} bytes asked for at ${start}`);
    const bytes = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    for (let offset = 0; offset < bytes.length; ) {
      const within = filled % POOLED_BUFFER_BYTES;
      if (within === 0) block.chunks.push(takeBuffer());
      const copied = bytes.copy(block.chunks[block.chunks.length - 1]!, within, offset);
      offset += copied;
      filled += copied;
    }
    releaseAtOnce(piece);
  }
  if (filled < block.length) throw new Error(`the store sent ${filled} of the ${block.length} bytes asked for at ${start}`);
}

/** Copies the block's bytes from `offset` into `buffer`, as many as fit; returns how many. */
function copyOut(block: Block, buffer: Uint8Array, offset: number): number {
  const length = Math.min(buffer.byteLength, block.length - offset);
  let done = 0;
  while (done < length) {
    const at = offset + done;
    const chunk = block.chunks[Math.floor(at / POOLED_BUFFER_BYTES)]!;
    const within = at % POOLED_BUFFER_BYTES;
    done += chunk.copy(buffer, done, within, within + Math.min(length - done, POOLED_BUFFER_BYTES - within));
  }
  return length;
}

function freeWhenSettled(block: Block): void {
  const free = (): void => {
    for (const chunk of block.chunks.splice(0)) giveBack(chunk);
  };
  block.loaded.then(free, free);
}
