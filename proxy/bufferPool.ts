/**
 * A pool of 64 KiB buffers for the bytes of stored objects on their way to clients (sendObject)
 * and for blocks read from a store without local files (storage/sharedBlockReads.ts). A buffer
 * taken is given back when its bytes are no longer needed, and taken again: streaming zips to many
 * clients then reuses a few buffers instead of allocating one per chunk, which the collector finds
 * late and the C allocator keeps after it is freed (bench/README.md, memory).
 */

export const POOLED_BUFFER_BYTES = 64 * 1024;
/** Buffers kept for reuse (16 MiB); more are allocated under load and left to the collector. */
const POOL_LIMIT = 256;
const pool: Buffer[] = [];

export function takeBuffer(): Buffer {
  return pool.pop() ?? Buffer.allocUnsafeSlow(POOLED_BUFFER_BYTES);
}

/** Gives back a buffer taken from the pool; nothing may use it afterwards. */
export function giveBack(buffer: Buffer): void {
  if (pool.length < POOL_LIMIT) pool.push(buffer);
}

/**
 * Frees the memory of `bytes` now instead of when the collector finds it: for a buffer whose
 * bytes were used (copied, hashed, written) and that nothing else holds, such as a chunk of a
 * response body read by one reader, or a buffer inflated for a hash. Its ArrayBuffer is
 * detached, so every view of it reads as empty afterwards. Buffers of Node's shared pool (small
 * ones, which share one ArrayBuffer with others) and views of part of a larger ArrayBuffer are
 * left to the collector.
 */
export function releaseAtOnce(bytes: Uint8Array): void {
  const whole = bytes.buffer;
  if (!(whole instanceof ArrayBuffer) || whole.byteLength <= Buffer.poolSize || bytes.byteOffset !== 0 || bytes.byteLength + 1 < whole.byteLength) return;
  try {
    whole.transfer(0);
  } catch {
    // Not detachable (e.g. memory Node or wasm manages): the collector frees it.
  }
}
