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

/** An upstream's answer to a path outside the module protocol, whatever its status. */
export type RawAnswer = { status: number; body: Buffer };

/**
 * A source that is a GOPROXY (http(s) or file://) and so may also proxy a checksum database
 * under <base>/sumdb/<name>/ (the go command asks each such entry in turn).
 */
export interface ProxySource extends ModuleSource {
  /** GET <base>/<path>; throws a ProxyError when there is no answer at all (network, timeout). */
  readPath(path: string, maxBytes: number): Promise<RawAnswer>;
}

/** The most a list, @latest, .info or .mod answer may hold (go.mod's own limit). */
export const MAX_SMALL_FILE = 16 << 20;
/** The most a module zip may hold (golang.org/x/mod/zip MaxZipFile). */
export const MAX_ZIP_FILE = 500 << 20;
