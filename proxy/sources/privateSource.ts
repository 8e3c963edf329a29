/**
 * The source of private modules (GOPRIVATE patterns), wrapped so that "not
 * found" becomes "denied": a 404 would let the go command fall through to
 * the next proxy on its own GOPROXY list — possibly a public one — and leak
 * the private path. A 403 stops it.
 */
import { isProxyError, proxyError } from '../errors.ts';
import type { ModuleRequest } from '../protocol/index.ts';
import type { ModuleSource } from './source.ts';

export class PrivateSource implements ModuleSource {
  readonly name: string;
  private readonly inner: ModuleSource;

  constructor(inner: ModuleSource) {
    this.inner = inner;
    this.name = inner.name;
  }

  fetchBytes(request: ModuleRequest): Promise<Buffer> {
    return this.inner.fetchBytes(request).catch(deny);
  }

  fetchToFile(request: ModuleRequest, file: string): Promise<number> {
    return this.inner.fetchToFile(request, file).catch(deny);
  }
}

function deny(err: unknown): never {
  if (isProxyError(err) && err.isNotFound) {
    throw proxyError('FORBIDDEN', `${err.message} (a private module: answered 403 so that it is not looked for elsewhere)`, err);
  }
  throw err;
}
