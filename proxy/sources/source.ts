/**
 * Where modules come from. Every source answers the same five questions of
 * the GOPROXY protocol for a module path and version (both unescaped), and
 * fails with a ProxyError whose code says what happened: NOT_FOUND or GONE
 * ("not here", the chain may fall back), UPSTREAM_TIMEOUT, UPSTREAM_FAILED,
 * BAD_UPSTREAM_CONTENT.
 */
import type { ModuleRequest } from '../protocol/index.ts';

export interface ModuleSource {
  /** For logs and error texts; never holds credentials. */
  readonly name: string;

  /** The body of a list, @latest, .info or .mod answer. */
  fetchBytes(request: ModuleRequest): Promise<Buffer>;

  /** Streams a .zip answer into `file`; returns the number of bytes written. */
  fetchToFile(request: ModuleRequest, file: string): Promise<number>;
}

/** The most a list, @latest, .info or .mod answer may hold (go.mod's own limit). */
export const MAX_SMALL_FILE = 16 << 20;
/** The most a module zip may hold (golang.org/x/mod/zip MaxZipFile). */
export const MAX_ZIP_FILE = 500 << 20;
