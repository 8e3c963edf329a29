/**
 * The upstream list in GOPROXY syntax, walked by Go's own fallback rules:
 * after an entry followed by ',' the next entry is tried only when this one
 * said "not found" (404 or 410); after '|' it is tried on any error,
 * timeouts included. "off" answers "not found" without asking anyone.
 *
 * A full or failing local disk (the staging file a source writes) ends the
 * walk at once with that failure: it is the proxy's, not the upstream's.
 *
 * An upstream's 403 is, as for the go command, not "not found": ',' stops
 * there. The client is then told "not here" with the upstream's reason (see
 * errors.ts), unless a later entry failed outright.
 *
 * When every entry fails, the answer is "not found" if every entry said so,
 * and otherwise the first real failure (a timeout or an error; before an
 * upstream's refusal), so that a client is told why rather than that the
 * module does not exist.
 */
import { clientSafeReason, isProxyError, localDiskFailure, proxyError, type ProxyError } from '../errors.ts';
import { moduleRequestPath, parseProxyList, type ModuleRequest } from '../protocol/index.ts';
import { FileUpstream } from './fileUpstream.ts';
import { HttpUpstream } from './httpUpstream.ts';
import type { ModuleSource, ProxySource } from './source.ts';
import { UpstreamStats } from './upstreamStats.ts';

export type ChainEntry = {
  source: ModuleSource;
  /** True when the entry is followed by '|': fall back on any error. */
  fallBackOnAnyError: boolean;
  /** Set when the entry is a GOPROXY URL (http(s) or file://): the same object as `source`. */
  proxy?: ProxySource;
};

export type ChainResult<T> = { value: T; source: string };

export class SourceChain {
  readonly entries: readonly ChainEntry[];
  /** How each source has been answering since start. */
  readonly stats = new UpstreamStats();

  constructor(entries: ChainEntry[]) {
    this.entries = entries;
  }

  get description(): string {
    return this.entries.map((e, i) => e.source.name + (i < this.entries.length - 1 ? (e.fallBackOnAnyError ? '|' : ',') : '')).join('');
  }

  fetchBytes(request: ModuleRequest): Promise<ChainResult<Buffer>> {
    return this.firstAnswer(request, (source) => source.fetchBytes(request));
  }

  fetchToFile(request: ModuleRequest, file: string, reset: () => Promise<void>): Promise<ChainResult<number>> {
    return this.firstAnswer(request, async (source) => {
      try {
        return await source.fetchToFile(request, file);
      } catch (err) {
        await reset();
        throw err;
      }
    });
  }

  private async firstAnswer<T>(request: ModuleRequest, attempt: (source: ModuleSource) => Promise<T>): Promise<ChainResult<T>> {
    let notFound: ProxyError | undefined;
    let failure: ProxyError | undefined;
    for (const entry of this.entries) {
      const started = performance.now();
      try {
        const value = await attempt(entry.source);
        this.stats.record(entry.source.name, performance.now() - started);
        return { value, source: entry.source.name };
      } catch (err) {
        // A full or failing local disk is the proxy's own failure: no other upstream would help.
        const local = localDiskFailure(err, `writing ${moduleRequestPath(request)}`);
        if (local) throw local;
        const error = isProxyError(err) ? err : proxyError('UPSTREAM_FAILED', `${entry.source.name}: ${clientSafeReason(err)}`, err);
        this.stats.record(entry.source.name, performance.now() - started, error.isNotFound ? undefined : error.message);
        if (error.isNotFound) {
          notFound = error;
          continue;
        }
        // A failure outright (5xx, timeout) says more than an upstream's refusal.
        if (!failure || (failure.code === 'UPSTREAM_REFUSED' && error.code !== 'UPSTREAM_REFUSED')) failure = error;
        if (!entry.fallBackOnAnyError) break;
      }
    }
    if (failure) throw failure;
    throw notFound ?? proxyError('NOT_FOUND', `${moduleRequestPath(request, { escaped: false })}: no upstream configured`);
  }
}

/** A source that never has anything: "off", or "direct" before a version control source exists. */
export class NothingSource implements ModuleSource {
  readonly name: string;
  private readonly reason: string;

  constructor(name: string, reason: string) {
    this.name = name;
    this.reason = reason;
  }

  async fetchBytes(request: ModuleRequest): Promise<Buffer> {
    throw proxyError('NOT_FOUND', `${moduleRequestPath(request, { escaped: false })}: ${this.reason}`);
  }

  async fetchToFile(request: ModuleRequest): Promise<number> {
    throw proxyError('NOT_FOUND', `${moduleRequestPath(request, { escaped: false })}: ${this.reason}`);
  }
}

export type ChainOptions = {
  timeoutMs: number;
  /** The source behind the keyword "direct"; without one, "direct" finds nothing. */
  direct?: ModuleSource;
};

/** Builds the chain from an upstream setting in GOPROXY syntax. */
export function sourceChainFromSetting(upstream: string, options: ChainOptions): SourceChain {
  const entries = parseProxyList(upstream).map((entry): ChainEntry => {
    switch (entry.kind) {
      case 'off':
        return { source: new NothingSource('off', 'not cached, and the upstream setting is "off"'), fallBackOnAnyError: entry.fallBackOnAnyError };
      case 'direct':
        return {
          source: options.direct ?? new NothingSource('direct', 'not found upstream, and fetching public modules straight from version control is not enabled'),
          fallBackOnAnyError: entry.fallBackOnAnyError,
        };
      case 'url': {
        const proxy = entry.url.startsWith('file:') ? new FileUpstream(entry.url) : new HttpUpstream(entry.url, { timeoutMs: options.timeoutMs });
        return { source: proxy, proxy, fallBackOnAnyError: entry.fallBackOnAnyError };
      }
    }
  });
  return new SourceChain(entries);
}
