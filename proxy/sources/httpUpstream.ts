/**
 * An upstream GOPROXY over http(s). Answers are mapped onto the protocol's
 * meaning: 200 is content, 404/410 is "not here", anything else is a
 * failure, and a request that gets no headers or stalls between body chunks
 * for longer than the timeout is a timeout.
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
import { Agent, interceptors, request as httpRequest, type Dispatcher } from 'undici';
import { proxyError, isProxyError, type ProxyError } from '../errors.ts';
import { moduleRequestPath, type ModuleRequest } from '../protocol/index.ts';
import { readSecret } from '../secrets.ts';
import { MAX_SMALL_FILE, MAX_ZIP_FILE, type ModuleSource } from './source.ts';

export type HttpUpstreamOptions = {
  /** Answer wait and body idle timeout, in milliseconds. */
  timeoutMs: number;
};

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

export class HttpUpstream implements ModuleSource {
  readonly name: string;
  private readonly base: string;
  private readonly dispatcher: Dispatcher;
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
    this.dispatcher = new Agent({
      connectTimeout: options.timeoutMs,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    }).compose(interceptors.redirect({ maxRedirections: 5 }));
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

  private async send(request: ModuleRequest): Promise<Dispatcher.ResponseData> {
    const url = `${this.base}/${moduleRequestPath(request)}`;
    let response: Dispatcher.ResponseData;
    try {
      response = await httpRequest(url, {
        method: 'GET',
        dispatcher: this.dispatcher,
        headers: { 'user-agent': 'gomodproxy', ...this.authorization() },
        signal: AbortSignal.timeout(Math.max(this.timeoutMs * 4, this.timeoutMs + 1000)),
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
    } catch (err) {
      throw this.failure(err, request);
    }
    if (response.statusCode === 200) return response;
    const reason = (await response.body.text().catch(() => '')).split('\n')[0]!.trim().slice(0, 300);
    const what = `${this.name}: ${moduleRequestPath(request, { escaped: false })}`;
    if (response.statusCode === 404) throw proxyError('NOT_FOUND', `${what}: not found${reason ? `: ${reason}` : ''}`);
    if (response.statusCode === 410) throw proxyError('GONE', `${what}: gone${reason ? `: ${reason}` : ''}`);
    throw proxyError('UPSTREAM_FAILED', `${what}: answered ${response.statusCode}${reason ? `: ${reason}` : ''}`);
  }

  private failure(err: unknown, request: ModuleRequest): ProxyError {
    if (isProxyError(err)) return err;
    const code = (err as { code?: string }).code ?? '';
    const what = `${this.name}: ${moduleRequestPath(request, { escaped: false })}`;
    if (TIMEOUT_CODES.has(code) || (err as Error).name === 'TimeoutError') {
      return proxyError('UPSTREAM_TIMEOUT', `${what}: no answer within ${this.timeoutMs / 1000}s`, err);
    }
    return proxyError('UPSTREAM_FAILED', `${what}: ${code || (err as Error).message}`, err);
  }
}
