/**
 * Every error the proxy answers a client with, declared once: a stable code,
 * the HTTP status, and a one-line text the go command prints to its user.
 *
 * The status is part of the GOPROXY protocol, not decoration:
 *   404/410  "not here": the go command falls back along its own GOPROXY list;
 *            also an upstream's own 403 ("not available there"): the upstream
 *            refused, the proxy did not, so the client may look elsewhere;
 *   403      "denied" by this proxy: the go command stops, so a private path
 *            never reaches a public proxy further down the client's list;
 *   400      the request itself is malformed;
 *   502/504  an upstream failed or timed out: the client sees why; also the
 *            checksum database failing, misbehaving, or disagreeing with
 *            what an upstream served.
 *   507/503  the proxy's own storage is full or cannot be written: never
 *            blamed on an upstream, never a reason to try the next one.
 */
export const errorCodes = {
  BAD_REQUEST: 400,
  FORBIDDEN: 403,
  /** The proxy's policy (policy.deny, policy.allow) refuses the module or version; the text gives the reason. */
  DENIED_BY_POLICY: 403,
  NOT_FOUND: 404,
  GONE: 410,
  /**
   * An upstream answered 403. For the walk along the upstream list it is a failure, as for the go
   * command (',' stops there); for the client it is "not here", with the upstream's reason.
   */
  UPSTREAM_REFUSED: 404,
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
  /** The proxy's own disk (store, staging folder, git cache) is full. */
  STORAGE_FULL: 507,
  /** The proxy's own storage cannot be written or read back (read-only, I/O errors). */
  STORAGE_FAILED: 503,
  /** The vulnerability database mirror holds no complete snapshot yet (first refresh pending or failing). */
  VULNDB_NOT_READY: 503,
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

/**
 * A failure's reason that is safe to show a client: the text of a Node system error names the
 * file it was about ("ENOSPC: no space left on device, write '/var/lib/…'"), and no answer may
 * reveal a server path, so those are told by their code and call only ("ENOSPC (write)").
 */
export function clientSafeReason(err: unknown): string {
  const { code, syscall } = (err ?? {}) as { code?: unknown; syscall?: unknown };
  if (typeof code === 'string' && /^E[A-Z0-9]+$/.test(code)) return typeof syscall === 'string' ? `${code} (${syscall})` : code;
  return err instanceof Error ? err.message : String(err);
}

/**
 * A peer's own words (an upstream's or a checksum database's answer body) made fit for a one-line
 * answer and a log field: markup removed, whitespace collapsed, printable ASCII only, at most
 * `max` characters.
 */
export function peerReason(text: string, max = 200): string {
  const plain = text
    .replace(/<(script|style)[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/[^\x20-\x7e]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return plain.length > max ? `${plain.slice(0, max - 3)}...` : plain;
}

/** Codes of a local disk that is full: never caused by a network peer. */
const DISK_FULL = new Set(['ENOSPC', 'EDQUOT']);
/** Codes of a local file system that refuses writes. */
const DISK_REFUSES = new Set(['EROFS', 'EIO']);

/**
 * A write to the proxy's own storage failed: 507 when the disk is full, else 503, with a reason
 * that names what was being done (never a server path). The store's own words stay in the log.
 */
export function storageWriteFailure(err: unknown, doing: string): ProxyError {
  if (isProxyError(err)) return err;
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string' && DISK_FULL.has(code)) {
    return proxyError('STORAGE_FULL', `the proxy's storage is full (${clientSafeReason(err)} while ${doing}); nothing was stored: the proxy's operator must free space or enlarge it`, err);
  }
  return proxyError('STORAGE_FAILED', `the proxy's storage cannot be written (${clientSafeReason(err)} while ${doing}); nothing was stored: try again later`, err);
}

/**
 * The failure of a local disk inside an error a source threw (itself or its cause): a source
 * writes into the proxy's staging folder or git cache, and a full disk there is the proxy's own
 * failure, not the upstream's. Null when the error is about something else.
 */
export function localDiskFailure(err: unknown, doing: string): ProxyError | null {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    if (isProxyError(e) && (e.code === 'STORAGE_FULL' || e.code === 'STORAGE_FAILED')) return e;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (DISK_FULL.has(code) || DISK_REFUSES.has(code))) return storageWriteFailure(e, doing);
  }
  return null;
}
