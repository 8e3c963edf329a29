/**
 * Storage first; otherwise one upstream fetch per module@version however
 * many clients ask at once, verified before it becomes visible, stored
 * atomically, then served from storage.
 *
 * The rules it keeps:
 * - .info, .mod and .zip of a canonical version are immutable: once stored
 *   they are served from storage and never fetched again.
 * - What an upstream serves for a version is stored only once the
 *   acceptance step (acceptVersion.ts) took it: zip rules, go.mod agreement,
 *   the checksum database; a zip's h1 is kept beside it as .ziphash.
 * - `list` and `@latest` change upstream, so an upstream answer is reused for
 *   listTtl and kept; when every upstream fails it is served stale (marked
 *   so), and without one the versions in storage answer.
 * - A private module path is never asked of an upstream.
 * - What is stored was verified, so a stored file is served without asking
 *   the checksum database again.
 * - The store's own `@v/list` names the versions it holds, so the store is
 *   a complete GOPROXY=file:// tree.
 */
import fs from 'node:fs/promises';
import type { Logger } from 'pino';
import { proxyError, isProxyError } from './errors.ts';
import { parseInfo, VersionAcceptance, type AcceptedHash, type Offer } from './acceptVersion.ts';
import { checkZipFile } from './modzip/index.ts';
import {
  escapePath,
  escapeVersion,
  isCanonicalVersion,
  isVersionQuery,
  latestVersion,
  matchPrefixPatterns,
  type ModuleRequest,
} from './protocol/index.ts';
import type { CacheSection, MemoryCache } from './memoryCache.ts';
import { PhaseTimer } from './phaseTimer.ts';
import { SingleFlight } from './singleFlight.ts';
import type { SourceChain } from './sources/index.ts';
import type { ModuleChecksums } from './sumdb/index.ts';
import { sourceOfServer, storedVersions, versionKey, writeStoredList, type OpenedObject, type Storage } from './storage/index.ts';

export type CacheOutcome = 'hit' | 'miss' | 'stale' | 'local';

/** What a fetch did, for the request log. */
export type FetchReport = {
  cache: CacheOutcome;
  /** The upstream that answered, on a miss. */
  source?: string;
  /** On a stale answer: why upstream could not be used, and how old the answer is. */
  staleReason?: string;
  staleSince?: Date;
};

export type BytesAnswer = FetchReport & { body: Buffer };
export type InfoAnswer = BytesAnswer & { immutable: boolean };
export type ZipAnswer = FetchReport & { object: OpenedObject; hash: string };

export type ModuleServiceOptions = {
  storage: Storage;
  upstream: SourceChain;
  /** GOPRIVATE patterns: never asked of an upstream, fetched from privateSource instead. */
  privatePatterns: string[];
  /** Where private modules come from (git); without one they are answered from storage or 403. */
  privateSource?: SourceChain;
  /** How long an upstream `list` or `@latest` answer is reused, in milliseconds. */
  listTtlMs: number;
  /** The checksum database check for fetched .mod and .zip files; none means no check. */
  checksums?: ModuleChecksums;
  logger: Logger;
  /** Where stored small files, zip hashes and upstream list/@latest answers are remembered. */
  memoryCache: MemoryCache;
  /**
   * Allow-list mode (policy.allow): the refusal to fetch a module from any source, or null when
   * it may be fetched. Versions in storage are served all the same.
   */
  fetchRefusal?: (modulePath: string) => { message: string } | null;
  /** Told of every .mod and .zip this service stores (the catalog of the store listens). */
  onVersionStored?: (modulePath: string, version: string, file: 'mod' | 'zip') => void;
  /** Clock, for tests of TTLs. */
  now?: () => number;
};

/** A stored .info or .mod larger than this is read from storage each time. */
const SMALL_FILE_REMEMBERED_BYTES = 64 * 1024;

type UpstreamAnswer = { at: number; body: Buffer; source: string };

export class ModuleService {
  private readonly storage: Storage;
  private readonly upstream: SourceChain;
  private readonly privatePatterns: string[];
  private readonly privateSource: SourceChain | undefined;
  private readonly listTtlMs: number;
  private readonly acceptance: VersionAcceptance;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly fetchRefusal: ((modulePath: string) => { message: string } | null) | undefined;
  private readonly upstreamFetches = new SingleFlight<BytesAnswer>();
  private readonly zipFetches = new SingleFlight<{ hash: string; report: FetchReport }>();
  /** Upstream list/@latest answers by storage key, with when they were fetched (also kept in storage). */
  private readonly listAndLatestAnswers: CacheSection<UpstreamAnswer>;
  /** The h1 of stored zips, by storage key. */
  private readonly zipHashes: CacheSection<string>;
  /** Stored .info and .mod files (they are small and immutable). */
  private readonly smallFiles: CacheSection<Buffer>;
  private readonly listRewrites = new Map<string, Promise<void>>();

  constructor(options: ModuleServiceOptions) {
    this.storage = options.storage;
    this.upstream = options.upstream;
    this.privatePatterns = options.privatePatterns;
    this.privateSource = options.privateSource;
    this.listTtlMs = options.listTtlMs;
    this.acceptance = new VersionAcceptance({
      storage: options.storage,
      ...(options.checksums ? { checksums: options.checksums } : {}),
      ...(options.onVersionStored ? { onStored: options.onVersionStored } : {}),
    });
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    this.fetchRefusal = options.fetchRefusal;
    this.listAndLatestAnswers = options.memoryCache.section('upstream answers', (answer) => answer.body.length + answer.source.length);
    this.zipHashes = options.memoryCache.section('zip hashes', (hash) => hash.length);
    this.smallFiles = options.memoryCache.section('small files', (body) => body.length, SMALL_FILE_REMEMBERED_BYTES);
  }

  isPrivate(modulePath: string): boolean {
    return this.privatePatterns.length > 0 && matchPrefixPatterns(this.privatePatterns, modulePath);
  }

  /** `$module/@v/list`: release and pre-release versions, one per line. */
  async list(modulePath: string): Promise<BytesAnswer> {
    return this.listOrLatestAnswer({ kind: 'list', module: modulePath }, `${escapePath(modulePath)}/@v/list.upstream`, (body) =>
      normalizeList(body),
    );
  }

  /** `$module/@latest`: the .info of the version the upstream calls latest. */
  async latest(modulePath: string): Promise<BytesAnswer> {
    return this.listOrLatestAnswer({ kind: 'latest', module: modulePath }, `${escapePath(modulePath)}/@v/latest.upstream`, (body) => {
      const info = parseInfo(body, `${modulePath}/@latest`);
      if (!isCanonicalVersion(info.Version)) {
        throw proxyError('BAD_UPSTREAM_CONTENT', `upstream @latest for ${modulePath} names ${JSON.stringify(info.Version)}, which is not a canonical version`);
      }
      return body;
    });
  }

  /** `$module/@v/$version.info`; a non-canonical version is a query, answered by the upstream each time. */
  async info(modulePath: string, version: string): Promise<InfoAnswer> {
    if (isVersionQuery(modulePath, version)) return this.query(modulePath, version);
    const answer = await this.infoOrModFile({ kind: 'info', module: modulePath, version }, async (offer, body) => {
      this.acceptance.checkInfo(offer, body);
      return undefined;
    });
    return { ...answer, immutable: true };
  }

  /** `$module/@v/$version.mod`. */
  async mod(modulePath: string, version: string): Promise<BytesAnswer> {
    this.requireCanonical(modulePath, version, 'mod');
    return this.infoOrModFile({ kind: 'mod', module: modulePath, version }, async (offer, body) => (await this.acceptance.checkMod(offer, body)).checksum);
  }

  /** `$module/@v/$version.zip`, as a stream of the stored, verified file. */
  async zip(modulePath: string, version: string): Promise<ZipAnswer> {
    this.requireCanonical(modulePath, version, 'zip');
    const key = versionKey(modulePath, version, 'zip');
    const stored = await this.storage.read(key);
    if (stored) return { cache: 'hit', object: stored, hash: await this.zipHash(modulePath, version, key) };

    const { value } = await this.zipFetches.do(key, () => this.fetchZip(modulePath, version));
    // Every waiter reads the stored file with its own stream.
    const object = await this.storage.read(key);
    if (!object) throw proxyError('STORAGE_FAILED', `${modulePath}@${version}.zip was stored but cannot be read back; try again`);
    return { ...value.report, object, hash: value.hash };
  }

  private requireCanonical(modulePath: string, version: string, kind: string): void {
    if (!isCanonicalVersion(version)) {
      throw proxyError('NOT_FOUND', `${modulePath}@${version}: .${kind} is only served for canonical versions; resolve the query with .info first`);
    }
  }

  /** The chain that answers for a module: the private source for private paths, else the upstreams. */
  private sourceFor(modulePath: string): SourceChain {
    const refusal = this.fetchRefusal?.(modulePath);
    if (refusal) throw proxyError('DENIED_BY_POLICY', refusal.message);
    if (!this.isPrivate(modulePath)) return this.upstream;
    if (this.privateSource) return this.privateSource;
    this.denyPrivate(modulePath);
  }

  private denyPrivate(modulePath: string): never {
    throw proxyError(
      'FORBIDDEN',
      `${modulePath} matches a private pattern and is not in this proxy's storage; private modules are never fetched from upstream proxies`,
    );
  }

  private async infoOrModFile(
    request: { kind: 'info' | 'mod'; module: string; version: string },
    /** Checks the file; for a .mod, answers what the checksum database said. */
    accept: (offer: Offer, body: Buffer) => Promise<AcceptedHash['checksum'] | undefined>,
  ): Promise<BytesAnswer> {
    const key = versionKey(request.module, request.version, request.kind);
    const remembered = this.smallFiles.get(key);
    if (remembered) return { cache: 'hit', body: remembered };
    const stored = await this.storage.readBytes(key);
    if (stored) {
      this.smallFiles.set(key, stored);
      return { cache: 'hit', body: stored };
    }
    const source = this.sourceFor(request.module);

    const { value } = await this.upstreamFetches.do(key, async () => {
      const phases = new PhaseTimer();
      if (request.kind === 'mod') this.acceptance.startLookup(request.module, request.version);
      const { value: body, source: answeredBy } = await phases.time('upstream', () => source.fetchBytes(request));
      let checksum: AcceptedHash['checksum'] | undefined;
      try {
        checksum = await phases.time('check', () => accept(upstreamOffer(request.module, request.version, answeredBy), body));
      } catch (err) {
        this.refused(request, answeredBy, err);
        throw err;
      }
      const how = checksum && { source: sourceOfServer(answeredBy), checksum };
      const stored = await phases.time('store', () => this.acceptance.storeSmallFile(request.module, request.version, request.kind, body, how));
      // If another writer won the race, serve what it stored (read back); else what we stored.
      const final = stored ? body : ((await phases.time('readBack', () => this.storage.readBytes(key))) ?? body);
      this.smallFiles.set(key, final);
      if (request.kind === 'mod') await phases.time('listRewrite', () => this.rewriteLocalList(request.module));
      this.logPhases(request, phases);
      return { cache: 'miss' as const, source: answeredBy, body: final };
    });
    return value;
  }

  private async query(modulePath: string, query: string): Promise<InfoAnswer> {
    const chain = this.sourceFor(modulePath);
    const request: ModuleRequest = { kind: 'info', module: modulePath, version: query };
    const { value } = await this.upstreamFetches.do(`query:${modulePath}@${query}`, async () => {
      const { value: body, source } = await chain.fetchBytes(request);
      const info = parseInfo(body, `${modulePath}@${query}.info`);
      if (!isCanonicalVersion(info.Version)) {
        const err = proxyError('BAD_UPSTREAM_CONTENT', `upstream answered the query ${modulePath}@${query} with ${JSON.stringify(info.Version)}, which is not a canonical version`);
        this.refused(request, source, err);
        throw err;
      }
      // The resolved version's .info is immutable: keep it for later requests.
      await this.keepCopy(modulePath, () => this.acceptance.storeSmallFile(modulePath, info.Version, 'info', body));
      return { cache: 'miss' as const, source, body };
    });
    return { ...value, immutable: false };
  }

  private async fetchZip(modulePath: string, version: string): Promise<{ hash: string; report: FetchReport }> {
    const chain = this.sourceFor(modulePath);
    const request: ModuleRequest = { kind: 'zip', module: modulePath, version };
    this.acceptance.startLookup(modulePath, version);
    const staged = await this.storage.stagingFile(`${escapePath(modulePath)}@${escapeVersion(version)}.zip`);
    const phases = new PhaseTimer();
    try {
      const { source } = await phases.time('upstream', () => chain.fetchToFile(request, staged, () => fs.rm(staged, { force: true })));
      let hash: string;
      let checksum: AcceptedHash['checksum'];
      try {
        const offer = upstreamOffer(modulePath, version, source);
        hash = await phases.time('check', () => this.acceptance.checkZipContent(offer, staged));
        checksum = await phases.time('checksum', () => this.acceptance.checkChecksum(offer, 'zip', hash));
      } catch (err) {
        this.refused(request, source, err);
        throw err;
      }
      const how = { source: sourceOfServer(source), checksum };
      const stored = await phases.time('store', () => this.acceptance.storeZip(modulePath, version, staged, hash, how));
      const key = versionKey(modulePath, version, 'zip');
      // If another writer won the race, its zip is served: take its hash.
      const storedHash = stored ? hash : await phases.time('readBack', () => this.zipHash(modulePath, version, key));
      this.zipHashes.set(key, storedHash);
      this.logPhases(request, phases);
      return { hash: storedHash, report: { cache: 'miss', source } };
    } finally {
      await fs.rm(staged, { force: true });
    }
  }

  /** The h1 of a stored zip: remembered, else its .ziphash, else computed again (and kept). */
  private async zipHash(modulePath: string, version: string, key: string): Promise<string> {
    const remembered = this.zipHashes.get(key);
    if (remembered) return remembered;
    const hashKey = versionKey(modulePath, version, 'ziphash');
    let hash = (await this.storage.readBytes(hashKey))?.toString('utf8').trim() ?? '';
    if (!hash) {
      const object = await this.storage.read(key);
      if (!object) throw proxyError('STORAGE_FAILED', `${modulePath}@${version}.zip disappeared from storage; try again`);
      const staged = await this.storage.stagingFile('rehash.zip');
      try {
        await fs.writeFile(staged, object.stream());
        hash = (await checkZipFile(staged, { path: modulePath, version })).hash;
      } finally {
        await fs.rm(staged, { force: true });
      }
      await this.storage.putImmutable(hashKey, Buffer.from(hash));
    }
    this.zipHashes.set(key, hash);
    return hash;
  }

  /**
   * A `list` or `@latest` answer: fresh from memory within the TTL, else from
   * upstream (kept in storage), else stale, else from the versions stored here.
   */
  private async listOrLatestAnswer(request: ModuleRequest, cacheKey: string, accept: (body: Buffer) => Buffer): Promise<BytesAnswer> {
    const modulePath = request.module;
    if ((this.isPrivate(modulePath) && !this.privateSource) || this.fetchRefusal?.(modulePath)) {
      const local = await this.localAnswer(request);
      if (local) return local;
      // Throws the policy's refusal or the private-path denial.
      this.sourceFor(modulePath);
    }
    const chain = this.sourceFor(modulePath);
    const cached = this.listAndLatestAnswers.get(cacheKey);
    if (cached && this.now() - cached.at < this.listTtlMs) return { cache: 'hit', body: cached.body, source: cached.source };

    const { value } = await this.upstreamFetches.do(cacheKey, async () => {
      try {
        const { value: raw, source } = await chain.fetchBytes(request);
        let body: Buffer;
        try {
          body = accept(raw);
        } catch (err) {
          this.refused(request, source, err);
          throw err;
        }
        this.listAndLatestAnswers.set(cacheKey, { at: this.now(), body, source });
        await this.keepCopy(modulePath, () => this.storage.put(cacheKey, body));
        return { cache: 'miss' as const, source, body };
      } catch (err: unknown) {
        if (!isProxyError(err)) throw err;
        // An upstream's "not here" (or its refusal) is an answer, not an outage: nothing stale instead.
        if (err.isNotFound || err.code === 'UPSTREAM_REFUSED') {
          const local = await this.localAnswer(request);
          if (local) return local;
          throw err;
        }
        const stale = await this.staleAnswer(cacheKey, err.message);
        if (stale) {
          this.logger.warn({ module: modulePath, kind: request.kind, reason: err.message, since: stale.staleSince }, 'every upstream failed; serving a stale answer');
          return stale;
        }
        const local = await this.localAnswer(request);
        if (local) {
          this.logger.warn({ module: modulePath, kind: request.kind, reason: err.message }, 'every upstream failed; answering from the versions in storage');
          return { ...local, cache: 'stale' as const, staleReason: err.message };
        }
        throw err;
      }
    });
    return value;
  }

  private async staleAnswer(cacheKey: string, reason: string): Promise<BytesAnswer | null> {
    const remembered = this.listAndLatestAnswers.get(cacheKey);
    if (remembered) return { cache: 'stale', body: remembered.body, staleReason: reason, staleSince: new Date(remembered.at) };
    const stored = await this.storage.stat(cacheKey);
    const body = stored && (await this.storage.readBytes(cacheKey));
    if (!stored || !body) return null;
    return { cache: 'stale', body, staleReason: reason, staleSince: stored.modified };
  }

  /** Answers list or @latest from the versions held in storage; null when there are none. */
  private async localAnswer(request: ModuleRequest): Promise<BytesAnswer | null> {
    const versions = await storedVersions(this.storage, request.module);
    if (versions.length === 0) return null;
    if (request.kind === 'list') return { cache: 'local', body: Buffer.from(versions.map((v) => `${v}\n`).join('')) };
    const best = latestVersion(versions);
    const info = best && (await this.storage.readBytes(versionKey(request.module, best, 'info')));
    return info ? { cache: 'local', body: info } : null;
  }

  /** Keeps the store's own `@v/list` equal to the versions it holds (as the go command's cache does). */
  private async rewriteLocalList(modulePath: string): Promise<void> {
    const previous = this.listRewrites.get(modulePath) ?? Promise.resolve();
    const next = previous.then(() => writeStoredList(this.storage, modulePath));
    const settled = next.catch((err: unknown) => {
      this.logger.warn({ module: modulePath, err }, 'could not rewrite the stored version list');
    });
    this.listRewrites.set(modulePath, settled);
    await settled;
    if (this.listRewrites.get(modulePath) === settled) this.listRewrites.delete(modulePath);
  }

  /**
   * Keeps a copy of an answer that is served from memory anyway (list, @latest, a query's .info):
   * when storage fails, the upstream's answer is still served, and the failure logged.
   */
  private async keepCopy(modulePath: string, write: () => Promise<unknown>): Promise<void> {
    try {
      await write();
    } catch (err) {
      if (!isProxyError(err) || (err.code !== 'STORAGE_FULL' && err.code !== 'STORAGE_FAILED')) throw err;
      this.logger.error({ module: modulePath, code: err.code, reason: err.message }, 'storage failed; serving the upstream answer without keeping it');
    }
  }

  /** The debug line of a miss: how long each phase of the fetch took. */
  private logPhases(request: { kind: string; module: string; version: string }, phases: PhaseTimer): void {
    this.logger.debug({ module: request.module, version: request.version, kind: request.kind, phasesMs: phases.milliseconds }, 'fetched from upstream');
  }

  private refused(request: ModuleRequest, source: string, err: unknown): void {
    this.logger.warn({ module: request.module, kind: request.kind, upstream: source, reason: (err as Error).message }, 'refused upstream content');
  }
}

/** A list answer as the go command reads it: one version per line; blank lines dropped. */
function normalizeList(body: Buffer): Buffer {
  const lines = body
    .toString('utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  return Buffer.from(lines.map((line) => `${line}\n`).join(''));
}

function upstreamOffer(modulePath: string, version: string, servedBy: string): Offer {
  return { module: modulePath, version, origin: 'upstream', servedBy };
}
