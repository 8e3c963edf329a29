/**
 * The proxy's JSON API (docs/api.md), as the page reads it. Requests go to this origin only; the
 * browser adds the Basic credentials it was given when the proxy asked (401 with WWW-Authenticate).
 */

export type Page<T> = { items: T[]; next: string | null; total: number };

/** A module search; `complete` is false while the proxy still lists its store after a start. */
export type ModuleSearch = Page<ModuleSummary> & { complete?: boolean };

export type ModuleSummary = { path: string; versions: number; latest: string; lastDownload: string | null };

/** Where a version came from; `unknown` for versions stored before the proxy recorded it. */
export type Source = 'upstream' | 'git' | 'import' | 'unknown';

export type VersionSummary = {
  version: string;
  time: string;
  /** The zip's bytes and hash; null when only the version's go.mod was downloaded. */
  size: number | null;
  h1: string | null;
  goModH1: string;
  source: Source;
  lastDownload: string | null;
  vulnerabilities?: string[];
};

export type ModuleDetail = { path: string; versions: VersionSummary[]; goGet: string };

export type SumdbState = { state: 'verified' | 'not-checked' | 'off' | 'private'; database: string | null };

export type VersionDetail = Omit<VersionSummary, 'vulnerabilities'> & {
  path: string;
  goMod: string;
  /** The zip's files (at most 10,000; filesOmitted counts the rest); null when the zip is not stored. */
  files: { name: string; size: number }[] | null;
  filesOmitted?: number;
  sumdb: SumdbState;
  goGet: string;
  vulnerabilities?: string[];
};

export type Usage = {
  downloads: { time: string; count: number }[];
  hitRate: { time: string; hits: number; misses: number }[];
  topModules: { path: string; count: number }[];
  topUsers?: { identity: string; count: number }[];
  denied?: { time: string; identity: string | null; module: string; version: string | null; status?: number; reason: string }[];
  upstream: { url: string; requests: number; errors: number; p50ms: number | null; p95ms: number | null }[];
};

export type Health = {
  upstreams: { url: string; lastSuccess: string | null; lastFailure: string | null; lastError: string | null }[];
  sumdb: { name: string; treeSize: number | null; lastCheck: string | null } | null;
  storage: { type: string; usedBytes: number | null; freeBytes: number | null; versions: number; modules: number; growth?: { day: string; bytes: number }[] };
  gitMirrors: { host: string; repository: string; bytes: number }[];
  lastCleanup: Record<string, unknown> | null;
};

export type CleanupPlan = { versions: { path: string; version: string; reason: string }[]; freedBytes: number };

export type Settings = Record<string, unknown> & { goEnv?: string[]; netrc?: string };

export type WhoAmI = { identity: string | null; admin: boolean; authRequired: boolean };

/** An answer other than 2xx: the status and the proxy's one sentence of what was wrong. */
export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export async function callApi<T>(url: string, init?: RequestInit): Promise<T> {
  const response = await fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' }, ...init });
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const reason = (body as { error?: unknown } | undefined)?.error;
    throw new ApiError(response.status, typeof reason === 'string' ? reason : `the proxy answered ${response.status} ${response.statusText}: ${text.trim().slice(0, 300)}`);
  }
  if (body === undefined) throw new ApiError(response.status, `the proxy's answer to ${url} is not JSON`);
  return body as T;
}

/** A query string of the parameters that have a value. */
export function query(parameters: Record<string, string | number | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(parameters)) if (value !== null && value !== undefined && value !== '') search.set(name, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}
