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
 * - A miss is answered only once its file is checked, never while its bytes arrive: the zip
 *   rules and the h1 can only be judged with the whole zip (its central directory is at the
 *   end), and the go command checks what it gets only against a go.sum line or the checksum
 *   database when it has one (not with GOSUMDB=off, GONOSUMDB or GOPRIVATE paths), so bytes
 *   streamed before the check could be kept by a client although the check then failed.
 * - A .mod or .zip miss is answered only once stored: answering before the store ends would let
 *   a client see a file that a concurrent writer (a replica on the same volume) then replaces
 *   with its own, and the go command records their hashes in go.sum. That wait is hidden
 *   instead by fetching ahead (fetchAhead.ts).
 * - A cold .info, which no go.sum line covers, is answered as soon as it is checked, and stored
 *   after (the go command asks one .info after another, so each store would otherwise lengthen
 *   its chain). Its single flight stays open until the store ends: a request meanwhile gets the
 *   same answer; later ones read the stored file (or, when a concurrent writer won, its copy). A
 *   store that fails is logged and leaves nothing: the next request fetches again. settle()
 *   waits for the stores under way, as for the provenance records, which are written in the
 *   background too (they are never served to the go command).
 * - The store's own `@v/list` names the versions it holds, so the store is
 *   a complete GOPROXY=file:// tree. It is rewritten after a .mod is stored, in the background
 *   (nothing reads it on the way to an answer: `list` is answered from upstream or from the
 *   stored .mod files); settle() waits for it.
 * - A cold .info starts fetching the version's .mod and .zip in the background (`fetchAhead`),
 *   through the same single flight and acceptance as a client's request (fetchAhead.ts).
 */
import fs from 'node:fs/promises';
import type { Logger } from 'pino';
import { proxyError, isProxyError } from './errors.ts';
import { parseInfo, VersionAcceptance, type AcceptedHash, type Offer, type StoredHow } from './acceptVersion.ts';
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
import { BackgroundWrites } from './backgroundWrites.ts';
import { PhaseTimer } from './phaseTimer.ts';
import { FetchAhead } from './fetchAhead.ts';
import { SingleFlight } from './singleFlight.ts';
import type { SourceChain } from './sources/index.ts';
import type { ModuleChecksums } from './sumdb/index.ts';
import { provenanceKey, sourceOfServer, storedVersions, versionKey, writeStoredList, type OpenedObject, type Storage } from './storage/index.ts';

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
  /**
   * What a cold request fetches ahead of the go command's next ones: `onInfo` (a cold .info of a
   * version fetches its .mod and .zip, as `go mod download` and `go get` ask next), `onMod` (a cold
   * .mod too fetches its .info and .zip: faster for `go mod download`, but `go list -m all`,
   * `go mod graph` and `go get` read the go.mod of many versions they never download), or `off`
   * (the default here; the settings default to `onInfo`).
   */
  fetchAhead?: FetchAheadSetting;
  /** Told of every .mod and .zip this service stores (the catalog of the store listens). */
  onVersionStored?: (modulePath: string, version: string, file: 'mod' | 'zip') => void;
  /** Clock, for tests of TTLs. */
  now?: () => number;
};

export type FetchAheadSetting = 'off' | 'onInfo' | 'onMod';

/**
 * Fetches ahead at once. The small files' are one short request each, beside the client's own.
 * Zips are fetched one at a time: they cost a check (CPU) and an fsync of megabytes, and the
 * go command meanwhile waits for one .info after another; several zips at once take cores and
 * the disk from that chain (with 4 at once, on 2 cores, its .info stores took 481 ms against
 * 37 ms with none, though at a higher load: bench/README.md).
 */
const SMALL_FILES_AHEAD_CONCURRENCY = 8;
const ZIPS_AHEAD_CONCURRENCY = 1;
const FETCH_AHEAD_QUEUE_LIMIT = 1000;

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
  /** The running or waiting rewrite of each module's stored list; `waiting` until it lists the folder. */
  private readonly listRewrites = new Map<string, { waiting: boolean; done: Promise<void> }>();
  private readonly fetchAheadSetting: FetchAheadSetting;
  private readonly smallFilesAhead: FetchAhead;
  private readonly zipsAhead: FetchAhead;
  /** Stores of answered .info files and provenance records, by storage key. */
  private readonly backgroundWrites = new BackgroundWrites();

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
      writeProvenanceWith: (modulePath, version, write) => {
        void this.backgroundWrites.run(provenanceKey(modulePath, version), write, (err) =>
          this.logger.warn({ module: modulePath, version, reason: (err as Error).message }, 'could not write the provenance record of a stored version; its source reads as unknown'),
        );
      },
    });
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    this.fetchRefusal = options.fetchRefusal;
    this.listAndLatestAnswers = options.memoryCache.section('upstream answers', (answer) => answer.body.length + answer.source.length);
    this.zipHashes = options.memoryCache.section('zip hashes', (hash) => hash.length);
    this.smallFiles = options.memoryCache.section('small files', (body) => body.length, SMALL_FILE_REMEMBERED_BYTES);
    this.fetchAheadSetting = options.fetchAhead ?? 'off';
    this.smallFilesAhead = new FetchAhead({ concurrency: SMALL_FILES_AHEAD_CONCURRENCY, queueLimit: FETCH_AHEAD_QUEUE_LIMIT, logger: options.logger });
    this.zipsAhead = new FetchAhead({ concurrency: ZIPS_AHEAD_CONCURRENCY, queueLimit: FETCH_AHEAD_QUEUE_LIMIT, logger: options.logger });
  }

  /**
   * Resolves once the background work started so far has ended: fetches ahead, stores of answered
   * .info files, provenance records, list rewrites (and what each of them started in turn).
   */
  async settle(): Promise<void> {
    do {
      await this.smallFilesAhead.idle();
      await this.zipsAhead.idle();
      await this.backgroundWrites.idle();
      while (this.listRewrites.size > 0) await Promise.all([...this.listRewrites.values()].map((rewrite) => rewrite.done));
    } while (this.backgroundWrites.size > 0 || !this.smallFilesAhead.isIdle || !this.zipsAhead.isIdle);
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
    // A fetch of this file under way (the .mod a cold .info started) answers what storage will
    // hold: join it without looking in storage first.
    const running = this.upstreamFetches.current(key);
    if (running) return running;
    // A miss's phases start with its look into storage.
    const phases = new PhaseTimer();
    const stored = await phases.time('lookup', () => this.storage.readBytes(key));
    if (stored) {
      this.smallFiles.set(key, stored);
      return { cache: 'hit', body: stored };
    }
    const source = this.sourceFor(request.module);
    this.fetchAheadAfterMiss(request.kind, request.module, request.version);

    const { value } = await this.upstreamFetches.doAnswering(key, async () => {
      if (request.kind === 'mod') this.acceptance.startLookup(request.module, request.version);
      const { value: body, source: answeredBy } = await phases.time('upstream', () => source.fetchBytes(request));
      let checksum: AcceptedHash['checksum'] | undefined;
      try {
        checksum = await phases.time('check', () => accept(upstreamOffer(request.module, request.version, answeredBy), body));
      } catch (err) {
        this.refused(request, answeredBy, err);
        throw err;
      }
      if (request.kind === 'info') {
        const rest = this.storeAnsweredInfo({ ...request, kind: 'info' }, key, body, phases);
        return { value: { cache: 'miss' as const, source: answeredBy, body }, rest };
      }
      const how = checksum && { source: sourceOfServer(answeredBy), checksum };
      const final = await this.storeSmallFile(request, key, body, phases, how);
      this.rewriteLocalList(request.module);
      this.logPhases(request, phases);
      return { value: { cache: 'miss' as const, source: answeredBy, body: final }, rest: Promise.resolve() };
    });
    return value;
  }

  /** Stores a checked .info or .mod; answers what is stored: this one, or another writer's that won the race (read back). */
  private async storeSmallFile(
    request: { kind: 'info' | 'mod'; module: string; version: string },
    key: string,
    body: Buffer,
    phases: PhaseTimer,
    how?: StoredHow,
  ): Promise<Buffer> {
    const stored = await phases.time('store', () => this.acceptance.storeSmallFile(request.module, request.version, request.kind, body, how));
    const final = stored ? body : ((await phases.time('readBack', () => this.storage.readBytes(key))) ?? body);
    this.smallFiles.set(key, final);
    return final;
  }

  /**
   * The store of a .info answered before it: remembered (so served from memory) only once stored;
   * a failure is logged, and the next request, finding nothing, fetches again.
   */
  private storeAnsweredInfo(request: { kind: 'info'; module: string; version: string }, key: string, body: Buffer, phases: PhaseTimer): Promise<boolean> {
    return this.backgroundWrites.run(
      key,
      async () => {
        await this.storeSmallFile(request, key, body, phases);
        this.logPhases(request, phases, { answeredBeforeStore: true });
      },
      (err) =>
        this.logger.error(
          { module: request.module, version: request.version, kind: 'info', code: isProxyError(err) ? err.code : undefined, reason: (err as Error).message },
          'could not store a .info already answered from upstream; nothing was kept, and the next request for it fetches it again',
        ),
    );
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

  /**
   * Keeps the store's own `@v/list` equal to the versions it holds (as the go command's cache
   * does), in the background: one rewrite per module at a time, and a rewrite that has not yet
   * listed the folder covers every version stored before it does, so a burst of .mod files of one
   * module costs one or two rewrites, not one each.
   */
  private rewriteLocalList(modulePath: string): void {
    const current = this.listRewrites.get(modulePath);
    if (current?.waiting) return;
    const rewrite = { waiting: true, done: Promise.resolve() };
    rewrite.done = (current?.done ?? Promise.resolve())
      .then(() => {
        rewrite.waiting = false;
        return writeStoredList(this.storage, modulePath);
      })
      .catch((err: unknown) => {
        this.logger.warn({ module: modulePath, err }, 'could not rewrite the stored version list');
      })
      .finally(() => {
        if (this.listRewrites.get(modulePath) === rewrite) this.listRewrites.delete(modulePath);
      });
    this.listRewrites.set(modulePath, rewrite);
  }

  /**
   * On a cold .info (and with `onMod`, a cold .mod), fetches the version's other files in the
   * background: the other small file at once, beside the client's (the go command asks the .mod
   * as soon as it has the .info, one version after the other, so this halves its wait); the .zip
   * in its turn, once both small files are stored (so the zip's go.mod is compared with the
   * stored .mod). A version that is not there costs one request more than the client's.
   */
  private fetchAheadAfterMiss(kind: 'info' | 'mod', modulePath: string, version: string): void {
    if (this.fetchAheadSetting === 'off' || (kind === 'mod' && this.fetchAheadSetting !== 'onMod')) return;
    const other = kind === 'info' ? 'mod' : 'info';
    this.smallFilesAhead.schedule(`${modulePath}@${version}.${other}`, async () => {
      await (other === 'mod' ? this.mod(modulePath, version) : this.info(modulePath, version));
    });
    this.zipsAhead.schedule(`${modulePath}@${version}`, async () => {
      // Both end before the job does (settle() waits for them); then the first failure stops it.
      const smallFiles = await Promise.allSettled([this.info(modulePath, version), this.mod(modulePath, version)]);
      for (const outcome of smallFiles) if (outcome.status === 'rejected') throw outcome.reason;
      // A .info is answered before it is stored: the zip waits for that store too, and for none
      // when it failed (the disk is likely full; the client's requests fetch for themselves).
      const infoKey = versionKey(modulePath, version, 'info');
      await this.backgroundWrites.pending(infoKey);
      if (!this.smallFiles.get(infoKey) && !(await this.storage.stat(infoKey))) throw new Error(`${modulePath}@${version}.info could not be stored`);
      const zip = await this.zip(modulePath, version);
      await zip.object.close();
    });
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

  /**
   * The debug line of a miss: how long each phase of the fetch took (`answeredBeforeStore`: the
   * client had its answer after the phases before `store`).
   */
  private logPhases(request: { kind: string; module: string; version: string }, phases: PhaseTimer, extra: { answeredBeforeStore?: true } = {}): void {
    this.logger.debug({ module: request.module, version: request.version, kind: request.kind, phasesMs: phases.milliseconds, ...extra }, 'fetched from upstream');
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
