/**
 * Reads a Go vulnerability database over http(s), as govulncheck does
 * (golang.org/x/vuln/internal/client): every file is fetched in its gzip form, `<path>.json.gz`,
 * and must answer 200. A file that is not there, a failed connection, an answer larger than the
 * limit or gzip that does not unpack whole (a truncated copy) is a VulnDatabaseError naming the
 * file, so a refresh stops before anything replaces the good snapshot.
 */
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { Dispatcher } from 'undici';
import { createAgent, loadHttpClient } from '../httpClient.ts';
import { VulnDatabaseError } from './snapshot.ts';

const gunzipAsync = promisify(gunzip);

/** The most one file may take, packed or unpacked (today's modules.json is well under 1 MiB). */
const MAX_FILE_BYTES = 64 << 20;

export type DatabaseSourceOptions = {
  /** The database's base URL, e.g. https://vuln.go.dev (no trailing slash). */
  url: string;
  /** Connect, answer and body-idle timeout, in milliseconds. */
  timeoutMs: number;
};

export class DatabaseSource {
  readonly url: string;
  private readonly timeoutMs: number;
  /** Made at the first fetch, which loads the HTTP client (proxy/httpClient.ts). */
  private dispatcher: Promise<Dispatcher> | undefined;
  private closed = false;

  constructor(options: DatabaseSourceOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs;
  }

  private agent(): Promise<Dispatcher> {
    return (this.dispatcher ??= createAgent(this.timeoutMs));
  }

  /** The unpacked bytes of `file` (a path in the layout, e.g. "index/db.json"). */
  async fetch(file: string): Promise<Buffer> {
    const location = `${this.url}/${file}.gz`;
    let packed: Buffer;
    try {
      const [{ request }, dispatcher] = await Promise.all([loadHttpClient(), this.agent()]);
      // Closed before its connections were made, or while the client loaded.
      if (this.closed) throw new Error('the mirror is stopped');
      const response = await request(location, { dispatcher, headers: { 'user-agent': 'gomodproxy vulndb mirror' } });
      // Leaving a body early aborts it, which is expected here, not an error to report.
      response.body.on('error', () => {});
      if (response.statusCode !== 200) {
        response.body.destroy();
        throw new VulnDatabaseError(file, `${location} answered ${response.statusCode}`);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of response.body) {
        size += (chunk as Buffer).length;
        if (size > MAX_FILE_BYTES) {
          response.body.destroy();
          throw new VulnDatabaseError(file, `${location} is larger than ${MAX_FILE_BYTES} bytes`);
        }
        chunks.push(chunk as Buffer);
      }
      packed = Buffer.concat(chunks);
    } catch (err) {
      if (err instanceof VulnDatabaseError) throw err;
      throw new VulnDatabaseError(file, `cannot read ${location}: ${(err as Error).message}`);
    }
    try {
      return await gunzipAsync(packed, { maxOutputLength: MAX_FILE_BYTES });
    } catch (err) {
      throw new VulnDatabaseError(file, `${location} is not whole gzip (${(err as Error).message}; ${packed.length} bytes, truncated or corrupt?)`);
    }
  }

  /** Ends every connection, failing the requests in flight (a proxy that stops does not wait for them). */
  async close(): Promise<void> {
    this.closed = true;
    await (await this.dispatcher)?.destroy();
  }
}
