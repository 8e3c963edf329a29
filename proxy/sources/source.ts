/**
 * Where modules come from. Every source answers the same five questions of
 * the GOPROXY protocol for a module path and version (both unescaped), and
 * fails with a ProxyError whose code says what happened: NOT_FOUND or GONE
 * ("not here", the chain may fall back), UPSTREAM_TIMEOUT, UPSTREAM_FAILED,
 * BAD_UPSTREAM_CONTENT.
 */
export type RequestKind = 'list' | 'latest' | 'info' | 'mod' | 'zip';

export type SourceRequest =
  | { kind: 'list' | 'latest'; module: string }
  | { kind: 'info' | 'mod' | 'zip'; module: string; version: string };

export interface ModuleSource {
  /** For logs and error texts; never holds credentials. */
  readonly name: string;

  /** The body of a list, @latest, .info or .mod answer. */
  fetchBytes(request: SourceRequest): Promise<Buffer>;

  /** Streams a .zip answer into `file`; returns the number of bytes written. */
  fetchToFile(request: SourceRequest, file: string): Promise<number>;
}

/** The most a list, @latest, .info or .mod answer may hold (go.mod's own limit). */
export const MAX_SMALL_FILE = 16 << 20;
/** The most a module zip may hold (golang.org/x/mod/zip MaxZipFile). */
export const MAX_ZIP_FILE = 500 << 20;

export function describeRequest(request: SourceRequest): string {
  switch (request.kind) {
    case 'list':
      return `${request.module}/@v/list`;
    case 'latest':
      return `${request.module}/@latest`;
    default:
      return `${request.module}/@v/${request.version}.${request.kind}`;
  }
}
