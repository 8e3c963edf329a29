/**
 * Sends a stored object as a response body without making garbage: a
 * random-access object is read chunk by chunk into buffers taken from a
 * shared pool and given back when the socket has taken them. Streaming a
 * 500 MiB zip to many clients then costs a fixed few buffers each, not a
 * new 64 KiB buffer per chunk for the garbage collector to find later.
 * Objects without random access are piped as streams. A read that fails
 * cuts the connection (the client sees a short body) and rejects.
 */
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { giveBack, POOLED_BUFFER_BYTES as CHUNK, takeBuffer } from '../bufferPool.ts';
import type { OpenedObject } from '../storage/index.ts';

/** Filled pooled buffers of a stream waiting for the client before the stream is paused. */
const WAITING_LIMIT = 2;

/** Writes `object` to `response` (headers already sent or set); counts bytes through `sent`. */
export async function sendObject(response: ServerResponse, object: OpenedObject, sent: (bytes: number) => void): Promise<void> {
  if (!object.readAt) return sendStream(response, object.stream(), sent);
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
  } catch (err) {
    // A read that fails half-way (a store's connection broke) must not end the body as if complete:
    // the connection is cut, so the client sees fewer bytes than the content-length it was promised.
    response.destroy();
    throw err;
  } finally {
    await object.close().catch(() => {});
    if (reusable) giveBack(buffer);
  }
}

/** Writes a stream through pooled buffers (see above); ends the response, or destroys it when either side fails. */
function sendStream(response: ServerResponse, stream: Readable, sent: (bytes: number) => void): Promise<void> {
  return new Promise<void>((resolve) => {
    const waiting: Array<{ buffer: Buffer; length: number }> = [];
    let filling: Buffer | undefined;
    let filled = 0;
    let writing = false;
    let ended = false;
    let done = false;
    const finish = (ok: boolean): void => {
      if (done) return;
      done = true;
      response.off('close', onClose);
      for (const { buffer } of waiting.splice(0)) giveBack(buffer);
      if (filling) giveBack(filling);
      filling = undefined;
      if (ok) response.end();
      else {
        stream.destroy();
        response.destroy();
      }
      resolve();
    };
    const writeNext = (): void => {
      if (writing || done) return;
      const next = waiting.shift();
      if (!next) {
        if (ended) finish(true);
        return;
      }
      writing = true;
      response.write(next.buffer.subarray(0, next.length), (err) => {
        writing = false;
        if (err) return finish(false); // the socket may still hold the buffer: it is not reused
        sent(next.length);
        giveBack(next.buffer);
        if (stream.isPaused() && waiting.length < WAITING_LIMIT) stream.resume();
        writeNext();
      });
    };
    // A closed connection may never call back the write under way: stop, and never reuse its buffer.
    const onClose = (): void => finish(false);
    response.once('close', onClose);
    stream.on('data', (chunk: Buffer) => {
      for (let offset = 0; offset < chunk.length; ) {
        filling ??= takeBuffer();
        const copied = chunk.copy(filling, filled, offset);
        filled += copied;
        offset += copied;
        if (filled === filling.length) {
          waiting.push({ buffer: filling, length: filled });
          filling = undefined;
          filled = 0;
        }
      }
      if (waiting.length >= WAITING_LIMIT) stream.pause();
      writeNext();
    });
    stream.once('end', () => {
      if (filling && filled > 0) waiting.push({ buffer: filling, length: filled });
      else if (filling) giveBack(filling);
      filling = undefined;
      ended = true;
      writeNext();
    });
    stream.once('error', () => finish(false));
  });
}
