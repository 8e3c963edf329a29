/**
 * An upstream GOPROXY over http(s). Answers are mapped onto the protocol's
 * meaning: 200 is content, 404/410 is "not here", 403 is the upstream's
 * refusal (for the client "not here" too, see errors.ts), anything else is a
 * failure, and a request that gets no headers or stalls between body chunks
 * for longer than the timeout is a timeout. The upstream's reason goes with
 * the answer, short and sanitised.
 *
 * A proxy behind a login is written with its credentials in the URL
 * (https://user:password@host/path, as the go command takes GOPROXY); the
 * password may be a reference, "env:NAME" or "file:/path", read for every
 * request (a rotated file is picked up). They are sent as Basic
 * authentication, to that origin only: a redirect to another origin goes
 * without them (undici drops Authorization when the origin changes). The
 * source's name, used in logs and answers, never holds them.
 */
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type { Dispatcher } from 'undici';
import { peerReason, proxyError, isProxyError, type ProxyError } from '../errors.ts';
import { createAgent, loadHttpClient } from '../httpClient.ts';
import { moduleRequestPath, type ModuleRequest } from '../protocol/index.ts';
import { readSecret } from '../secrets.ts';
import { MAX_SMALL_FILE, MAX_ZIP_FILE, type ProxySource, type RawAnswer } from './source.ts';

export type HttpUpstreamOptions = {
  /** Answer wait and body idle timeout, in milliseconds. */
  timeoutMs: number;
};

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

export class HttpUpstream implements ProxySource {
  readonly name: string;
  private readonly base: string;
  /** Made on the first request, when the HTTP client is loaded. */
  private dispatcher: Promise<Dispatcher> | undefined;
  private readonly timeoutMs: number;
  private readonly login: { username: string; password: string } | null;

  constructor(baseUrl: string, options: HttpUpstreamOptions) {
    const url = new URL(baseUrl);
    this.login = url.username || url.password ? { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) } : null;
    url.username = '';
    url.password = '';
    this.base = url.href.replace(/\/+$/, '');
    this.name = this.base;
    // A reference to a secret that is not there stops start-up, not the first request.
    this.authorization();
    this.timeoutMs = options.timeoutMs;
  }

  private agent(): Promise<Dispatcher> {
    return (this.dispatcher ??= createAgent(this.timeoutMs));
  }

  async fetchBytes(request: ModuleRequest): Promise<Buffer> {
    const response = await this.send(request);
    try {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of response.body) {
        size += chunk.length;
        if (size > MAX_SMALL_FILE) {
          throw proxyError('BAD_UPSTREAM_CONTENT', `${this.name} served more than ${MAX_SMALL_FILE} bytes for ${moduleRequestPath(request, { escaped: false })}`);
        }
        chunks.push(chunk as Buffer);
      }
      return Buffer.concat(chunks);
    } catch (err) {
      response.body.destroy();
      throw this.failure(err, request);
    }
  }

  async fetchToFile(request: ModuleRequest, file: string): Promise<number> {
    const response = await this.send(request);
    let size = 0;
    const name = this.name;
    const limit = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        if (size > MAX_ZIP_FILE) {
          done(proxyError('BAD_UPSTREAM_CONTENT', `${name} served a zip larger than the ${MAX_ZIP_FILE >> 20} MiB limit for ${moduleRequestPath(request, { escaped: false })}`));
          return;
        }
        done(null, chunk);
      },
    });
    try {
      await pipeline(response.body, limit, createWriteStream(file, { flags: 'wx' }));
      return size;
    } catch (err) {
      throw this.failure(err, request);
    }
  }

  /** The Authorization header for a proxy behind a login; a reference is read each time. */
  private authorization(): Record<string, string> {
    if (!this.login) return {};
    const { username } = this.login;
    let password = this.login.password;
    if (/^(env:[A-Za-z_][A-Za-z0-9_]*|file:\/.+)$/.test(password)) {
      try {
        password = readSecret(password, `the password of upstream ${this.name}`);
      } catch (err) {
        throw proxyError('UPSTREAM_FAILED', (err as Error).message);
      }
    }
    return { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` };
  }

  /**
   * GET <base>/<path> as it is (the checksum database proxied under /sumdb/): any status, the body
   * up to maxBytes. Network failures and timeouts throw, in the words of failure().
   */
  async readPath(path: string, maxBytes: number): Promise<RawAnswer> {
    const relative = path.replace(/^\/+/, '');
    const what = `${this.name}/${relative}`;
    const response = await this.get(relative, what);
    try {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of response.body) {
        size += (chunk as Buffer).length;
        if (size > maxBytes) throw proxyError('BAD_UPSTREAM_CONTENT', `${what}: more than ${maxBytes} bytes`);
        chunks.push(chunk as Buffer);
      }
      return { status: response.statusCode, body: Buffer.concat(chunks) };
    } catch (err) {
      response.body.destroy();
      throw this.failure(err, what);
    }
  }

  private async get(path: string, what: string): Promise<Dispatcher.ResponseData> {
    try {
      const { request } = await loadHttpClient();
      return await request(`${this.base}/${path}`, {
        method: 'GET',
        dispatcher: await this.agent(),
        headers: { 'user-agent': 'gomodproxy', ...this.authorization() },
        signal: AbortSignal.timeout(Math.max(this.timeoutMs * 4, this.timeoutMs + 1000)),
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
    } catch (err) {
      throw this.failure(err, what);
    }
  }

  private async send(request: ModuleRequest): Promise<Dispatcher.ResponseData> {
    const what = `${this.name}: ${moduleRequestPath(request, { escaped: false })}`;
    const response = await this.get(moduleRequestPath(request), what);
    if (response.statusCode === 200) return response;
    const text = peerReason((await response.body.text().catch(() => '')).slice(0, 4096));
    const reason = text ? `: ${text}` : '';
    if (response.statusCode === 404) throw proxyError('NOT_FOUND', `${what}: not found${reason}`);
    if (response.statusCode === 410) throw proxyError('GONE', `${what}: gone${reason}`);
    if (response.statusCode === 403) throw proxyError('UPSTREAM_REFUSED', `${what}: not available there (403)${reason}`);
    throw proxyError('UPSTREAM_FAILED', `${what}: answered ${response.statusCode}${reason}`);
  }

  private failure(err: unknown, what: string | ModuleRequest): ProxyError {
    if (isProxyError(err)) return err;
    const code = (err as { code?: string }).code ?? '';
    const subject = typeof what === 'string' ? what : `${this.name}: ${moduleRequestPath(what, { escaped: false })}`;
    if (TIMEOUT_CODES.has(code) || (err as Error).name === 'TimeoutError') {
      return proxyError('UPSTREAM_TIMEOUT', `${subject}: no answer within ${this.timeoutMs / 1000}s`, err);
    }
    return proxyError('UPSTREAM_FAILED', `${subject}: ${code || (err as Error).message}`, err);
  }
}
