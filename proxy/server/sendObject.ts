/**
 * Sends a stored object as a response body without making garbage: a
 * random-access object is read chunk by chunk into buffers taken from a
 * shared pool and given back when the socket has taken them. Streaming a
 * 500 MiB zip to many clients then costs a fixed few buffers each, not a
 * new 64 KiB buffer per chunk for the garbage collector to find later.
 * Objects without random access are piped as streams.
 */
import type { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { OpenedObject } from '../storage/index.ts';

const CHUNK = 64 * 1024;
/** Buffers kept for reuse; more are allocated under load and left to the collector. */
const POOL_LIMIT = 256;
const pool: Buffer[] = [];

function takeBuffer(): Buffer {
  return pool.pop() ?? Buffer.allocUnsafeSlow(CHUNK);
}

function giveBack(buffer: Buffer): void {
  if (pool.length < POOL_LIMIT) pool.push(buffer);
}

/** Writes `object` to `response` (headers already sent or set); counts bytes through `sent`. */
export async function sendObject(response: ServerResponse, object: OpenedObject, sent: (bytes: number) => void): Promise<void> {
  if (!object.readAt) {
    const stream = object.stream();
    stream.on('data', (chunk: Buffer) => sent(chunk.length));
    await pipeline(stream, response).catch(() => {});
    return;
  }
  const buffer = takeBuffer();
  let reusable = true;
  try {
    let position = 0;
    while (position < object.size && !response.destroyed) {
      const length = await object.readAt(buffer.subarray(0, Math.min(CHUNK, object.size - position)), position);
      if (length === 0) break;
      const written = await new Promise<boolean>((resolve) => {
        // A closed connection may never call back: stop waiting, and never reuse the buffer.
        const onClose = () => resolve(false);
        response.once('close', onClose);
        response.write(buffer.subarray(0, length), (err) => {
          response.off('close', onClose);
          resolve(!err);
        });
      });
      if (!written) {
        // The socket may still hold the buffer: do not reuse it.
        reusable = false;
        break;
      }
      position += length;
      sent(length);
    }
    if (position === object.size) response.end();
    else response.destroy();
  } finally {
    await object.close().catch(() => {});
    if (reusable) giveBack(buffer);
  }
}
