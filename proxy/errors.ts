/**
 * Every error the proxy answers a client with, declared once: a stable code,
 * the HTTP status, and a one-line text the go command prints to its user.
 *
 * The status is part of the GOPROXY protocol, not decoration:
 *   404/410  "not here": the go command falls back along its own GOPROXY list;
 *   403      "denied": the go command stops, so a private path never reaches
 *            a public proxy further down the client's list;
 *   400      the request itself is malformed;
 *   502/504  an upstream failed or timed out: the client sees why; also the
 *            checksum database failing, misbehaving, or disagreeing with
 *            what an upstream served.
 */
export const errorCodes = {
  BAD_REQUEST: 400,
  FORBIDDEN: 403,
  /** The proxy's policy (policy.deny, policy.allow) refuses the module or version; the text gives the reason. */
  DENIED_BY_POLICY: 403,
  NOT_FOUND: 404,
  GONE: 410,
  URI_TOO_LONG: 414,
  BAD_UPSTREAM_CONTENT: 502,
  UPSTREAM_FAILED: 502,
  UPSTREAM_TIMEOUT: 504,
  /** An upstream served content whose h1 differs from the checksum database's. */
  CHECKSUM_MISMATCH: 502,
  /** The checksum database does not know a module version, so it cannot be verified. */
  NOT_IN_CHECKSUM_DATABASE: 403,
  /** The checksum database served something that does not verify: a bad signature, proof or fork. */
  CHECKSUM_DATABASE_MISBEHAVING: 502,
  CHECKSUM_DATABASE_FAILED: 502,
  CHECKSUM_DATABASE_TIMEOUT: 504,
  STORAGE_FAILED: 500,
} as const;

export type ErrorCode = keyof typeof errorCodes;

export class ProxyError extends Error {
  readonly code: ErrorCode;
  readonly status: number;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProxyError';
    this.code = code;
    this.status = errorCodes[code];
  }

  /** 404 and 410 both mean "this source does not have it". */
  get isNotFound(): boolean {
    return this.code === 'NOT_FOUND' || this.code === 'GONE';
  }
}

export function proxyError(code: ErrorCode, message: string, cause?: unknown): ProxyError {
  return new ProxyError(code, message, cause === undefined ? undefined : { cause });
}

export function isProxyError(err: unknown): err is ProxyError {
  return err instanceof ProxyError;
}
