// sendObject writes a stored object to a real HTTP response: from a random-access object (disk)
// and from a stream (S3), whose chunks of any size are copied into pooled buffers. Every byte
// arrives in order, to a fast client and to one that reads slowly (so the stream is paused and
// resumed); a stream or a random read that fails, or a client that goes away, ends the response
// (short of its length) and the stream.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { sendObject } from '../../../proxy/server/sendObject.ts';
import type { OpenedObject } from '../../../proxy/storage/index.ts';

const KiB = 1024;

/** An object with no random access whose stream gives `chunks` as they are, then fails if `failAfter`. */
function streamedObject(chunks: Buffer[], options: { failAfter?: boolean } = {}): OpenedObject & { destroyed: () => boolean } {
  const size = chunks.reduce((sum, c) => sum + c.length, 0);
  let stream: Readable | undefined;
  async function* produce(): AsyncGenerator<Buffer> {
    for (const chunk of chunks) {
      yield chunk;
      await sleep(0);
    }
    if (options.failAfter) throw new Error('connection to the store broke');
  }
  return {
    size,
    modified: new Date(0),
    stream: () => (stream = Readable.from(produce(), { objectMode: false })),
    close: async () => {},
    destroyed: () => stream?.destroyed ?? false,
  };
}

/** A random-access object over a buffer, as a local file is. */
function randomAccessObject(content: Buffer): OpenedObject {
  return {
    size: content.length,
    modified: new Date(0),
    stream: () => Readable.from([content]),
    readAt: async (buffer, position) => content.copy(buffer, 0, position, Math.min(content.length, position + buffer.byteLength)),
    close: async () => {},
  };
}

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/** Serves `object` once per request; resolves to the base URL and the promise of each send. */
async function serve(object: () => OpenedObject): Promise<{ url: string; sends: Promise<void>[] }> {
  const sends: Promise<void>[] = [];
  server = createServer((_request, response) => {
    const opened = object();
    response.setHeader('content-length', opened.size);
    const send = sendObject(response, opened, () => {});
    // A failed send is looked at by the test, later.
    send.catch(() => {});
    sends.push(send);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}/`, sends };
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** Reads a whole body; with `slowly`, waits a little after each chunk, as a busy client does. */
async function download(url: string, slowly = false): Promise<Buffer> {
  const response = await request(url);
  const parts: Buffer[] = [];
  for await (const chunk of response.body) {
    parts.push(chunk as Buffer);
    if (slowly) await sleep(2);
  }
  return Buffer.concat(parts);
}

describe('sendObject', () => {
  // Sizes around the 64 KiB pooled buffer: smaller, exactly one, across a boundary, many at once;
  // repeated to about 10 MiB, more than the sockets hold, so a slow client makes the stream wait.
  const chunkSizes = Array.from({ length: 20 }, () => [1, 7, 64 * KiB, 64 * KiB - 1, 64 * KiB + 1, 200 * KiB, 3, 130 * KiB, 16 * KiB, 0, 1]).flat();

  it.each([
    { client: 'a fast client', slowly: false },
    { client: 'a slow client (the stream is paused and resumed)', slowly: true },
  ])('sends every byte of a stream, in order, to $client', async ({ slowly }) => {
    const chunks = chunkSizes.map((size) => randomBytes(size));
    const whole = Buffer.concat(chunks);
    const { url, sends } = await serve(() => streamedObject(chunks));
    const body = await download(url, slowly);
    await Promise.all(sends);
    expect(body.length).toBe(whole.length);
    expect(sha256(body)).toBe(sha256(whole));
  });

  it('sends every byte of an empty stream and of a random-access object', async () => {
    const empty = await serve(() => streamedObject([]));
    expect((await download(empty.url)).length).toBe(0);
    await new Promise((resolve) => server!.close(resolve));
    const content = randomBytes(300 * KiB + 5);
    const file = await serve(() => randomAccessObject(content));
    expect(sha256(await download(file.url, true))).toBe(sha256(content));
  });

  it('ends the response short when the stream fails, and finishes', async () => {
    const chunks = [randomBytes(100 * KiB), randomBytes(10 * KiB)];
    const { url, sends } = await serve(() => streamedObject(chunks, { failAfter: true }));
    const failed = await download(url).then(
      (body) => `a body of ${body.length} bytes`,
      (err: Error) => err.message,
    );
    await Promise.all(sends);
    expect(failed).not.toBe(`a body of ${110 * KiB} bytes`);
  });

  it('cuts the connection when a random read fails half-way, and rejects with the reason', async () => {
    const content = randomBytes(400 * KiB);
    const failing: OpenedObject = {
      ...randomAccessObject(content),
      readAt: async (buffer, position) => {
        if (position >= 200 * KiB) throw new Error('S3 ranged GET of m.zip failed: PreconditionFailed (HTTP 412)');
        return content.copy(buffer, 0, position, position + buffer.byteLength);
      },
    };
    const { url, sends } = await serve(() => failing);
    const received = await download(url).then(
      (body) => `a body of ${body.length} bytes`,
      (err: Error) => `failed: ${err.message}`,
    );
    const [sent] = await Promise.allSettled(sends);
    expect(received).not.toBe(`a body of ${content.length} bytes`);
    expect(sent).toMatchObject({ status: 'rejected', reason: { message: expect.stringMatching(/PreconditionFailed/) } });
  });

  it('destroys the stream when the client goes away in the middle', async () => {
    const chunks = Array.from({ length: 200 }, () => randomBytes(64 * KiB));
    let object: ReturnType<typeof streamedObject> | undefined;
    const { url, sends } = await serve(() => (object = streamedObject(chunks)));
    const response = await request(url);
    for await (const _chunk of response.body) {
      response.body.destroy();
      break;
    }
    await Promise.all(sends);
    expect(object!.destroyed()).toBe(true);
  });
});
