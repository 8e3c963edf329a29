/**
 * Which way the checksum database is reached, found as the go command finds it
 * (cmd/go/internal/modfetch/sumdb.go, initBase, walked by TryProxies' rules):
 *
 * - A URL written in the setting ("name+key url") is used as it is; no upstream is asked.
 * - Otherwise each upstream proxy, in order, is asked for <proxy>/sumdb/<name>/supported.
 *   200: the database is reached at <proxy>/sumdb/<name>, and only there.
 *   404 or 410: the next entry is asked. Any other answer, or none: the next entry after '|';
 *   after ',' the database counts as unreachable (the go command's "any other response is
 *   treated as the database being unavailable").
 * - `direct` and `off` end the list (as they do for modules). Reaching `direct`, or ending the
 *   walk with every entry saying "not here", means the database's own host (https://<name>); after
 *   a failure that '|' passed over, `off` ends the walk with that failure (TryProxies ranks a
 *   proxy's failure above "not here", and `direct` above both).
 *
 * The way found is kept for the life of the process, as the go command keeps it for one run; a
 * walk that ended unreachable is walked again at the next use.
 */
import type { Dispatcher } from 'undici';
import { peerReason } from '../errors.ts';
import { loadHttpClient } from '../httpClient.ts';

/** An answer to a GET, whatever its status. */
export type RemoteAnswer = { status: number; body: Buffer };

/** GET of a path under a base URL; throws when there is no answer at all (network, timeout, too large). */
export type PathReader = (path: string, maxBytes: number) => Promise<RemoteAnswer>;

/** One entry of the upstream list, as the database's client sees it. */
export type UpstreamEntry = {
  /** The URL (without credentials), or "direct" / "off". */
  name: string;
  fallBackOnAnyError: boolean;
  /** How to GET a path under the proxy; absent for "direct" and "off", which end the walk. */
  read?: PathReader;
};

/** Where the database answers, and how to read from there. */
export type DatabaseEndpoint = {
  /** The base URL the database's paths (/latest, /lookup/…, /tile/…) are appended to. */
  url: string;
  /** How it was chosen, for the log and for answers. */
  how: 'setting' | 'upstream' | 'own host';
  /** GET of a database path such as "/latest". */
  read: PathReader;
};

/** The database is not reachable by the rules above: an upstream failed where the walk stops. */
export class DatabaseRouteError extends Error {
  readonly timedOut: boolean;
  constructor(message: string, timedOut: boolean, cause: unknown) {
    super(message, { cause });
    this.name = 'DatabaseRouteError';
    this.timedOut = timedOut;
  }
}

/** A body over the size limit: the database (or what stands for it) misbehaves. */
export class AnswerTooLargeError extends Error {
  constructor(maxBytes: number) {
    super(`more than ${maxBytes} bytes`);
    this.name = 'AnswerTooLargeError';
  }
}

/** Reads from a base URL straight over http(s), without credentials, following no redirects. */
export function directReader(baseUrl: string, timeoutMs: number): PathReader {
  const base = baseUrl.replace(/\/+$/, '');
  // Made on the first read, when the HTTP client is loaded.
  let dispatcher: Dispatcher | undefined;
  return async (path, maxBytes) => {
    const { Agent, request } = await loadHttpClient();
    dispatcher ??= new Agent({ connectTimeout: timeoutMs, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    const response = await request(`${base}${path}`, { dispatcher, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of response.body) {
        size += (chunk as Buffer).length;
        if (size > maxBytes) throw new AnswerTooLargeError(maxBytes);
        chunks.push(chunk as Buffer);
      }
    } catch (err) {
      response.body.destroy();
      throw err;
    }
    return { status: response.statusCode, body: Buffer.concat(chunks) };
  };
}

/** The small answer /supported is: anything longer is not read. */
const SUPPORTED_MAX_BYTES = 4096;

/**
 * Walks the upstream list for database `name`. `ownHost` is where the database answers itself
 * (https://<name>), used when every entry said "not here" or the walk reached direct/off.
 */
export async function findDatabaseEndpoint(name: string, upstreams: readonly UpstreamEntry[], ownHost: DatabaseEndpoint): Promise<DatabaseEndpoint> {
  let failure: DatabaseRouteError | undefined;
  for (const entry of upstreams) {
    // `direct` is the go command's best answer whatever failed before it; `off` only ends the walk.
    if (!entry.read) {
      if (entry.name === 'direct') return ownHost;
      break;
    }
    const read = entry.read;
    const supported = `sumdb/${name}/supported`;
    let answer: RemoteAnswer | undefined;
    let problem: { text: string; timedOut: boolean; cause?: unknown } | undefined;
    try {
      answer = await read(`/${supported}`, SUPPORTED_MAX_BYTES);
    } catch (err) {
      problem = { text: `gave no answer to /${supported} (${(err as Error).message})`, timedOut: isTimeout(err), cause: err };
    }
    if (answer?.status === 200) {
      return { url: `${entry.name}/sumdb/${name}`, how: 'upstream', read: (path, maxBytes) => read(`/sumdb/${name}${path}`, maxBytes) };
    }
    if (answer && (answer.status === 404 || answer.status === 410)) continue;
    if (answer) {
      const reason = peerReason(answer.body.toString('utf8'));
      problem = { text: `answered /${supported} with ${answer.status}${reason ? `: ${reason}` : ''}`, timedOut: false };
    }
    // The first failure is the one told: it is where the walk would have stopped.
    failure ??= new DatabaseRouteError(`upstream ${entry.name} ${problem!.text}`, problem!.timedOut, problem!.cause);
    if (!entry.fallBackOnAnyError) break;
  }
  if (failure) throw failure;
  return ownHost;
}

function isTimeout(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  return /TIMEOUT/.test(code) || code === 'ETIMEDOUT';
}
