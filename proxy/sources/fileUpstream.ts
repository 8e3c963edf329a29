/**
 * An upstream GOPROXY given as file://<folder>: the folder is the Go module
 * cache's download layout (a GOMODCACHE/cache/download, an unpacked offline
 * bundle, or another gomodproxy's disk store). A missing file is "not found".
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { proxyError } from '../errors.ts';
import { moduleRequestPath, type ModuleRequest } from '../protocol/index.ts';
import { MAX_SMALL_FILE, MAX_ZIP_FILE, type ProxySource, type RawAnswer } from './source.ts';

export class FileUpstream implements ProxySource {
  readonly name: string;
  private readonly root: string;

  constructor(fileUrl: string) {
    this.root = fileURLToPath(fileUrl);
    this.name = `file://${this.root}`;
  }

  async fetchBytes(request: ModuleRequest): Promise<Buffer> {
    const file = await this.locate(request, MAX_SMALL_FILE);
    return fs.readFile(file);
  }

  async fetchToFile(request: ModuleRequest, destination: string): Promise<number> {
    const file = await this.locate(request, MAX_ZIP_FILE);
    await fs.copyFile(file, destination, fs.constants.COPYFILE_EXCL);
    return (await fs.stat(destination)).size;
  }

  /** <root>/<path> (leading slashes ignored) as an http answer would carry it: 200 with the file, or 404 when it is not there. */
  async readPath(relative: string, maxBytes: number): Promise<RawAnswer> {
    const parts = relative.replace(/^\/+/, '').split('/');
    if (parts.some((p) => p === '' || p === '.' || p === '..')) return { status: 404, body: Buffer.from('not a path in the tree\n') };
    const file = path.join(this.root, ...parts);
    const info = await fs.stat(file).catch(() => null);
    if (!info || !info.isFile()) return { status: 404, body: Buffer.from('not found\n') };
    if (info.size > maxBytes) throw proxyError('BAD_UPSTREAM_CONTENT', `${this.name}/${parts.join('/')}: more than ${maxBytes} bytes`);
    return { status: 200, body: await fs.readFile(file) };
  }

  private async locate(request: ModuleRequest, limit: number): Promise<string> {
    const file = path.join(this.root, ...moduleRequestPath(request).split('/'));
    const info = await fs.stat(file).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return null;
      throw proxyError('UPSTREAM_FAILED', `${this.name}: ${moduleRequestPath(request, { escaped: false })}: ${err.code ?? err.message}`, err);
    });
    if (!info || !info.isFile()) throw proxyError('NOT_FOUND', `${this.name}: ${moduleRequestPath(request, { escaped: false })}: not found`);
    if (info.size > limit) {
      throw proxyError('BAD_UPSTREAM_CONTENT', `${this.name}: ${moduleRequestPath(request, { escaped: false })} is ${info.size} bytes, over the ${limit} byte limit`);
    }
    return file;
  }
}
