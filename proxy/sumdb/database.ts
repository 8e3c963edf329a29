/**
 * A client of one checksum database that trusts nothing it has not verified, and that serves
 * what it verified to go commands through /sumdb/<name>/… (the proxying protocol).
 *
 * The rules it keeps, as the go command's own client does (golang.org/x/mod/sumdb/client.go):
 * - Every tree head is a signed note that must verify with the configured key.
 * - Tree heads form one timeline: a newer head must contain the last one verified, an older head
 *   must be contained in it (checked with tiles, RFC 6962 hashing). A head that does not is a
 *   fork: an alarm that stops all verification until someone investigates, not a warning.
 * - A lookup record is accepted only when its hash is the leaf the verified tree holds at its id.
 * - Tiles are kept (in storage, and the recent ones in memory) only once they were checked
 *   against a verified tree head; a tile is immutable, so it is kept forever.
 * - The last verified tree head is kept in storage, so the timeline survives restarts.
 * - It is reached as the go command reaches it: through the first upstream that serves
 *   /sumdb/<name>/, else at its own host, unless the setting names a URL (databaseRoute.ts).
 */
import type { Logger } from 'pino';
import { isProxyError, peerReason, proxyError, type ProxyError } from '../errors.ts';
import type { CacheSection, MemoryCache } from '../memoryCache.ts';
import type { ProxyMetrics } from '../metrics.ts';
import { escapePath, escapeVersion } from '../protocol/index.ts';
import { SingleFlight } from '../singleFlight.ts';
import type { Storage } from '../storage/index.ts';
import {
  AnswerTooLargeError,
  DatabaseRouteError,
  directReader,
  findDatabaseEndpoint,
  type DatabaseEndpoint,
  type UpstreamEntry,
} from './databaseRoute.ts';
import { openNote, type Verifier } from './note.ts';
import { KNOWN_SUMDB_KEYS } from './setting.ts';
import {
  formatRecord,
  HASH_SIZE,
  parseLookup,
  parseTilePath,
  parseTree,
  recordHash,
  storedHashIndex,
  tileHashReader,
  tilePath,
  TlogError,
  treeHash,
  type HashReader,
  type Tile,
  type Tree,
} from './tlog.ts';

/** The tile height every checksum database and go command uses. */
export const TILE_HEIGHT = 8;

/** Answers of the database are small: a lookup, a tree head, a tile of 256 hashes or records. */
const MAX_ANSWER_BYTES = 1 << 20;

export type ChecksumDatabaseOptions = {
  name: string;
  verifier: Verifier;
  /** Where the database answers: the URL the setting names, or else its own host, https://<name>. */
  url: string;
  /**
   * The upstream list, when the setting names no URL: each entry is asked for
   * /sumdb/<name>/supported before the database's own host is used (as the go command does).
   */
  upstreams?: readonly UpstreamEntry[];
  storage: Storage;
  /** How long the database may take to answer, in milliseconds. */
  timeoutMs: number;
  /** How long a /latest or lookup answer is passed on to clients before asking again. */
  ttlMs: number;
  logger: Logger;
  metrics?: ProxyMetrics;
  /** Where verified lookups and recent verified tiles are remembered. */
  memoryCache: MemoryCache;
  now?: () => number;
};

/**
 * What an offline bundle carries so that its versions verify where no database can be reached:
 * the database's signed tree head, one lookup answer per version (its record under that head),
 * and the tiles the go command reads to prove those records, and that the head extends an older one.
 */
export type CarriedProof = {
  latest: Buffer;
  /** Lookup answers by <escaped path>@<escaped version>. */
  lookups: Map<string, Buffer>;
  /** Tiles by path (tile/8/…). */
  tiles: Map<string, Buffer>;
  /** Versions the database holds no record of. */
  notFound: string[];
};

/** An answer for a client; stale when the database could not be asked and a verified answer was kept. */
export type DatabaseAnswer = { body: Buffer; stale?: { reason: string } };

type SignedTree = { tree: Tree; note: Buffer };
type VerifiedLookup = { at: number; body: Buffer; record: Buffer };

export class ChecksumDatabase {
  readonly name: string;
  private readonly verifier: Verifier;
  private readonly ownHost: DatabaseEndpoint;
  private readonly upstreams: readonly UpstreamEntry[] | undefined;
  /** The way the database is reached, once found. */
  private endpoint: DatabaseEndpoint | undefined;
  private readonly storage: Storage;
  private readonly ttlMs: number;
  private readonly logger: Logger;
  private readonly metrics: ProxyMetrics | undefined;
  private readonly now: () => number;
  private readonly timeoutMs: number;
  /** The last verified tree head; undefined until read from storage. */
  private latest: SignedTree | null | undefined;
  private latestAskedAt = -Infinity;
  /** Set once a fork was seen; every later operation fails with it. */
  private alarm: string | null = null;
  private readonly lookups: CacheSection<VerifiedLookup>;
  private readonly verifiedTiles: CacheSection<Buffer>;
  private readonly flights = new SingleFlight<unknown>();

  constructor(options: ChecksumDatabaseOptions) {
    this.name = options.name;
    const url = options.url.replace(/\/+$/, '');
    this.upstreams = options.upstreams;
    this.ownHost = { url, how: options.upstreams ? 'own host' : 'setting', read: directReader(url, options.timeoutMs) };
    if (!options.upstreams) this.endpoint = this.ownHost;
    this.verifier = options.verifier;
    this.storage = options.storage;
    this.ttlMs = options.ttlMs;
    this.logger = options.logger;
    this.metrics = options.metrics;
    this.now = options.now ?? Date.now;
    this.lookups = options.memoryCache.section(`${options.name} lookups`, (lookup) => lookup.body.length + lookup.record.length);
    this.verifiedTiles = options.memoryCache.section(`${options.name} tiles`, (tile) => tile.length, (1 << TILE_HEIGHT) * HASH_SIZE);
    this.timeoutMs = options.timeoutMs;
  }

  /** Where the database is reached, or how it will be looked for (before its first use). */
  get description(): string {
    if (this.endpoint) return `${this.name} at ${this.endpoint.url}${this.endpoint.how === 'upstream' ? ' (through the upstream)' : ''}`;
    return `${this.name} through the first upstream that serves /sumdb/${this.name}/, else at ${this.ownHost.url}`;
  }

  /** The verifier key, as the settings and GOSUMDB take it. */
  get verifierKey(): string {
    return this.verifier.vkey;
  }

  /**
   * What the health view shows, without asking the database: the size of the last verified tree
   * head held, when the database was last asked for its head (by this process), and the fork
   * alarm if one was raised.
   */
  async health(): Promise<{ treeSize: number | null; lastCheck: string | null; alarm: string | null }> {
    const tree = await this.currentTree();
    return { treeSize: tree?.tree.N ?? null, lastCheck: Number.isFinite(this.latestAskedAt) ? new Date(this.latestAskedAt).toISOString() : null, alarm: this.alarm };
  }

  /** The base URL the database is reached at; looks for it through the upstreams on first use. */
  async reachedAt(): Promise<string> {
    return (await this.findEndpoint()).url;
  }

  /**
   * Starts the lookup of module@version without waiting for it, so that it runs while the module
   * is fetched from upstream; hashes() then finds it done. A failure here is only retried there.
   */
  startLookup(modulePath: string, version: string): void {
    this.lookup(modulePath, version, Infinity).catch(() => {});
  }

  /** The go.sum lines the database holds for module@version: the zip's h1 and the go.mod's h1. */
  async hashes(modulePath: string, version: string): Promise<{ zip?: string; mod?: string }> {
    return hashesInRecord((await this.lookup(modulePath, version, Infinity)).record, modulePath, version);
  }

  /** /latest for a client: the database's signed tree head, verified and merged into the timeline. */
  async latestForClient(): Promise<DatabaseAnswer> {
    this.checkAlarm();
    const current = await this.currentTree();
    if (current && this.now() - this.latestAskedAt < this.ttlMs) return { body: current.note };
    try {
      return { body: await this.refreshLatest() };
    } catch (err) {
      const kept = await this.currentTree();
      if (kept && isUnreachable(err)) return { body: kept.note, stale: { reason: (err as Error).message } };
      throw err;
    }
  }

  /**
   * /supported for a client: the go command then reaches the database only through this proxy, so
   * it is claimed only when this proxy holds a verified tree head or the database answers now.
   * Otherwise NOT_FOUND, and the go command falls back to its next proxy or the database itself.
   */
  async supportedForClient(): Promise<void> {
    this.checkAlarm();
    // Read from storage again while none is held: `import` may have stored one since.
    if (this.latest === null) this.latest = undefined;
    if (await this.currentTree()) return;
    try {
      await this.refreshLatest();
    } catch (err) {
      if (!isUnreachable(err)) throw err;
      throw proxyError('NOT_FOUND', `this proxy holds no tree of checksum database ${this.name} and cannot reach it (${(err as Error).message})`);
    }
  }

  /**
   * The proof an offline bundle carries for these versions (see CarriedProof): the database's
   * current tree head, asked now; each version's verified record re-issued under it (a lookup answer
   * is valid with any signed head whose tree holds the record); every tile read to prove the
   * records against that head, and, given heads of earlier bundles, that the new head extends each.
   */
  async proofForBundle(versions: Array<{ module: string; version: string }>, since: Buffer[]): Promise<CarriedProof> {
    await this.refreshLatest();
    const head = (await this.currentTree())!;
    const tiles = new Map<string, Buffer>();
    const read = this.hashReader(head.tree, tiles);
    for (const note of since) {
      const older = this.openTree(note);
      let hash: Buffer | undefined;
      if (older.N <= head.tree.N) {
        try {
          hash = await treeHash(older.N, read);
        } catch (err) {
          throw this.asDatabaseError(err, `checking an earlier bundle's tree of ${older.N} records against the tree of ${head.tree.N}`);
        }
      }
      if (!hash?.equals(older.hash)) {
        throw this.misbehaving(
          `an earlier bundle's tree head (${older.N} records, ${older.hash.toString('base64')}) is not part of its current tree of ${head.tree.N} records: ` +
            `the database forked, or the earlier bundle is not of this database`,
        );
      }
    }
    const lookups = new Map<string, Buffer>();
    const notFound: string[] = [];
    for (const { module, version } of versions) {
      // A record kept in storage was verified when kept, and is proved in the new head below.
      let record: { id: number; data: Buffer };
      try {
        record = await this.keptOrFetchedRecord(module, version);
      } catch (err) {
        if (isProxyError(err) && err.isNotFound) {
          notFound.push(`${module}@${version}`);
          continue;
        }
        throw err;
      }
      const { id } = record;
      let leaf: Buffer | undefined;
      try {
        [leaf] = await read([storedHashIndex(0, id)]);
      } catch (err) {
        throw this.asDatabaseError(err, `proving record ${id} in the tree of ${head.tree.N} records`);
      }
      if (!leaf?.equals(recordHash(record.data))) throw this.misbehaving(`record ${id} of ${module}@${version} is not in its current tree`);
      lookups.set(lookupKey(module, version), Buffer.concat([formatRecord(id, record.data), head.note]));
    }
    return { latest: head.note, lookups, tiles, notFound };
  }

  private async keptOrFetchedRecord(modulePath: string, version: string): Promise<{ id: number; data: Buffer }> {
    const kept = this.lookups.get(lookupKey(modulePath, version))?.body ?? (await this.storage.readBytes(this.key(`lookup/${lookupKey(modulePath, version)}`)));
    if (kept) {
      try {
        return parseLookup(kept);
      } catch {
        // Not usable: asked again below.
      }
    }
    return parseLookup((await this.lookup(modulePath, version, Infinity)).body);
  }

  /** /lookup/M@V for a client: the verified record and tree head, or the one kept when the database is down. */
  async lookupForClient(modulePath: string, version: string): Promise<DatabaseAnswer> {
    try {
      return { body: (await this.lookup(modulePath, version, this.ttlMs)).body };
    } catch (err) {
      if (!isUnreachable(err)) throw err;
      const kept = this.lookups.get(lookupKey(modulePath, version))?.body ?? (await this.storage.readBytes(this.key(`lookup/${lookupKey(modulePath, version)}`)));
      if (kept) return { body: kept, stale: { reason: (err as Error).message } };
      throw err;
    }
  }

  /** /tile/… for a client: built from verified hashes (or verified records, for a data tile). */
  async tileForClient(path: string): Promise<Buffer> {
    let tile: Tile;
    try {
      tile = parseTilePath(path);
    } catch (err) {
      throw proxyError('BAD_REQUEST', (err as Error).message);
    }
    this.checkAlarm();
    if (tile.H !== TILE_HEIGHT) throw proxyError('NOT_FOUND', `${path}: checksum database tiles have height ${TILE_HEIGHT}`);
    const key = this.key(path);
    const stored = this.verifiedTiles.get(key) ?? (await this.storage.readBytes(key));
    if (stored) return stored;

    let tree = await this.currentTree();
    if (!tree || !tileInTree(tile, tree.tree.N)) {
      await this.refreshLatest();
      tree = await this.currentTree();
    }
    if (!tree || !tileInTree(tile, tree.tree.N)) {
      throw proxyError('NOT_FOUND', `${path} is beyond the latest signed tree of checksum database ${this.name} (${tree?.tree.N ?? 0} records)`);
    }
    const data = tile.L === -1 ? await this.verifiedDataTile(tile, tree.tree) : await this.verifiedHashTile(tile, tree.tree);
    await this.storage.putImmutable(key, data);
    return data;
  }

  private async verifiedHashTile(tile: Tile, tree: Tree): Promise<Buffer> {
    const level = tile.L * tile.H;
    const first = tile.N * 2 ** tile.H;
    const indexes = Array.from({ length: tile.W }, (_, i) => storedHashIndex(level, first + i));
    return Buffer.concat(await this.readVerifiedHashes(tree, indexes));
  }

  /** A data tile holds the records' texts, each followed by a blank line; each must hash to its leaf. */
  private async verifiedDataTile(tile: Tile, tree: Tree): Promise<Buffer> {
    const path = tilePath(tile);
    const data = await this.get(`/${path}`);
    const first = tile.N * 2 ** tile.H;
    const leaves = await this.readVerifiedHashes(tree, Array.from({ length: tile.W }, (_, i) => storedHashIndex(0, first + i)));
    let start = 0;
    leaves.forEach((leaf, i) => {
      const end = data.indexOf('\n\n', start);
      const record = end < 0 ? null : data.subarray(start, end + 1);
      if (!record || !recordHash(record).equals(leaf)) {
        throw this.misbehaving(`${path}: record ${first + i} does not hash to the leaf of the verified tree`);
      }
      start = end + 2;
    });
    if (start !== data.length) throw this.misbehaving(`${path}: more data than ${tile.W} records`);
    return data;
  }

  /**
   * A verified lookup of module@version: fetched when the one remembered is older than maxAgeMs.
   * A record's content never changes, so verification of content may use any remembered one.
   */
  private async lookup(modulePath: string, version: string, maxAgeMs: number): Promise<VerifiedLookup> {
    this.checkAlarm();
    const key = lookupKey(modulePath, version);
    const remembered = this.lookups.get(key);
    if (remembered && this.now() - remembered.at < maxAgeMs) return remembered;
    return (await this.flights.do(`lookup:${key}`, async () => {
      const body = await this.get(`/lookup/${key}`);
      let parsed;
      try {
        parsed = parseLookup(body);
      } catch (err) {
        throw this.misbehaving(`lookup of ${modulePath}@${version}: ${(err as Error).message}`);
      }
      await this.mergeTree(parsed.note);
      await this.checkRecord(parsed.id, parsed.data, `${modulePath}@${version}`);
      const verified = { at: this.now(), body, record: parsed.data };
      this.lookups.set(key, verified);
      // Kept for answering clients while the database is down; nobody waits for it.
      this.storage.put(this.key(`lookup/${key}`), body).catch((err: unknown) => {
        this.logger.warn({ database: this.name, module: modulePath, version, reason: (err as Error).message }, 'could not keep a verified lookup');
      });
      return verified;
    })).value as VerifiedLookup;
  }

  private async refreshLatest(): Promise<Buffer> {
    return (await this.flights.do('latest', async () => {
      const note = await this.get('/latest');
      await this.mergeTree(note);
      this.latestAskedAt = this.now();
      return note;
    })).value as Buffer;
  }

  /** The last verified tree head, read from storage the first time. */
  private async currentTree(): Promise<SignedTree | null> {
    if (this.latest !== undefined) return this.latest;
    const note = await this.storage.readBytes(this.key('latest'));
    let loaded: SignedTree | null = null;
    if (note) {
      try {
        loaded = { tree: this.openTree(note), note };
      } catch (err) {
        this.logger.warn({ database: this.name, reason: (err as Error).message }, 'ignoring the stored checksum database tree head');
      }
    }
    // Another call may have set it meanwhile.
    if (this.latest === undefined) this.latest = loaded;
    return this.latest;
  }

  private openTree(note: Buffer): Tree {
    let text: string;
    try {
      text = openNote(note, [this.verifier]).text;
    } catch (err) {
      throw this.misbehaving(`its tree head does not verify with the configured key ${this.verifier.vkey}: ${(err as Error).message}`);
    }
    try {
      return parseTree(text);
    } catch (err) {
      throw this.misbehaving((err as Error).message);
    }
  }

  /** Adds a signed tree head to the timeline, or raises the fork alarm. */
  private async mergeTree(note: Buffer): Promise<void> {
    this.checkAlarm();
    const tree = this.openTree(note);
    for (;;) {
      const current = await this.currentTree();
      if (current === null) {
        // Trust on first use, as the go command does with an empty cache.
        this.latest = { tree, note };
        break;
      }
      // The same head again (every lookup carries one): nothing to prove.
      if (tree.N === current.tree.N && tree.hash.equals(current.tree.hash)) return;
      if (tree.N <= current.tree.N) {
        await this.checkTrees({ tree, note }, current);
        return;
      }
      await this.checkTrees(current, { tree, note });
      if (this.latest === current) {
        this.latest = { tree, note };
        break;
      }
    }
    await this.storage.put(this.key('latest'), note);
  }

  /** The older tree must be the first older.N records of the newer one. */
  private async checkTrees(older: SignedTree, newer: SignedTree): Promise<void> {
    let hash: Buffer;
    try {
      hash = await treeHash(older.tree.N, this.hashReader(newer.tree));
    } catch (err) {
      throw this.asDatabaseError(err, `checking the tree of ${older.tree.N} records against the tree of ${newer.tree.N}`);
    }
    if (hash.equals(older.tree.hash)) return;
    this.alarm =
      `SECURITY ERROR: checksum database ${this.name} served two tree heads that are not on one timeline (a fork): ` +
      `the tree of ${older.tree.N} records has hash ${older.tree.hash.toString('base64')} in one signed head and ` +
      `${hash.toString('base64')} inside the tree of ${newer.tree.N} records; verification is stopped until the proxy is restarted after an investigation`;
    this.metrics?.checksumDatabaseAlarm.set({ database: this.name }, 1);
    this.logger.error(
      { database: this.name, olderNote: older.note.toString('utf8'), newerNote: newer.note.toString('utf8') },
      this.alarm,
    );
    throw proxyError('CHECKSUM_DATABASE_MISBEHAVING', this.alarm);
  }

  private async checkRecord(id: number, record: Buffer, what: string): Promise<void> {
    const current = await this.currentTree();
    if (!current || id >= current.tree.N) {
      throw this.misbehaving(`lookup of ${what} names record ${id}, beyond its signed tree of ${current?.tree.N ?? 0} records`);
    }
    const [leaf] = await this.readVerifiedHashes(current.tree, [storedHashIndex(0, id)]);
    if (!leaf?.equals(recordHash(record))) {
      throw this.misbehaving(`the record it served for ${what} is not record ${id} of its signed tree (the inclusion proof fails)`);
    }
  }

  private async readVerifiedHashes(tree: Tree, indexes: number[]): Promise<Buffer[]> {
    try {
      return await this.hashReader(tree)(indexes);
    } catch (err) {
      throw this.asDatabaseError(err, 'reading tiles');
    }
  }

  /** Reads hashes of a verified tree from tiles, each checked before it is used or kept (and noted in `seen`). */
  private hashReader(tree: Tree, seen?: Map<string, Buffer>): HashReader {
    return tileHashReader(tree, {
      height: TILE_HEIGHT,
      readTiles: (tiles) =>
        Promise.all(
          tiles.map(async (tile) => {
            const data = await this.readTile(tile);
            seen?.set(tilePath(tile), Buffer.from(data));
            return data;
          }),
        ),
      saveTiles: async (tiles, data) => {
        await Promise.all(
          tiles.map(async (tile, i) => {
            const key = this.key(tilePath(tile));
            if (this.verifiedTiles.get(key)) return;
            const bytes = Buffer.from(data[i]!);
            this.verifiedTiles.set(key, bytes);
            await this.storage.putImmutable(key, bytes);
          }),
        );
      },
    });
  }

  /** A tile's data: verified and kept, or a prefix of a kept full tile, or else from the database (checked by the caller). */
  private async readTile(tile: Tile): Promise<Uint8Array> {
    const key = this.key(tilePath(tile));
    const kept = this.verifiedTiles.get(key) ?? (await this.storage.readBytes(key));
    if (kept) return kept;
    const full: Tile = { ...tile, W: 2 ** tile.H };
    const fullKey = this.key(tilePath(full));
    if (full.W !== tile.W) {
      const keptFull = this.verifiedTiles.get(fullKey) ?? (await this.storage.readBytes(fullKey));
      if (keptFull) return keptFull.subarray(0, tile.W * HASH_SIZE);
    }
    try {
      return await this.get(`/${tilePath(tile)}`);
    } catch (err) {
      // A partial tile may be gone once the tile is complete; the full one starts with it.
      if (full.W === tile.W || !isProxyError(err) || !err.isNotFound) throw err;
      return (await this.get(`/${tilePath(full)}`)).subarray(0, tile.W * HASH_SIZE);
    }
  }

  /** The way to the database: found once (a failed walk is walked again next time), and logged. */
  private async findEndpoint(): Promise<DatabaseEndpoint> {
    if (this.endpoint) return this.endpoint;
    return (await this.flights.do('endpoint', async () => {
      let found: DatabaseEndpoint;
      try {
        found = await findDatabaseEndpoint(this.name, this.upstreams ?? [], this.ownHost);
      } catch (err) {
        if (!(err instanceof DatabaseRouteError)) throw err;
        throw proxyError(
          err.timedOut ? 'CHECKSUM_DATABASE_TIMEOUT' : 'CHECKSUM_DATABASE_FAILED',
          `checksum database ${this.name} cannot be reached: ${err.message}, and the go command's rule is to stop there rather than go around it`,
          err,
        );
      }
      this.endpoint = found;
      this.logger.info(
        { database: this.name, url: found.url },
        found.how === 'upstream'
          ? `checksum database ${this.name} is reached through the upstream at ${found.url} (it serves /sumdb/${this.name}/)`
          : `checksum database ${this.name} is reached at its own host ${found.url} (no upstream serves /sumdb/${this.name}/)`,
      );
      return found;
    })).value as DatabaseEndpoint;
  }

  /** GET from the database: 200 is the content; 404/410 NOT_FOUND; anything else a failure. */
  private async get(path: string): Promise<Buffer> {
    return (await this.flights.do(`get:${path}`, async () => {
      const endpoint = await this.findEndpoint();
      let answer;
      try {
        answer = await endpoint.read(path, MAX_ANSWER_BYTES);
      } catch (err) {
        throw this.failedRead(endpoint, path, err);
      }
      if (answer.status === 200) return answer.body;
      const text = peerReason(answer.body.toString('utf8'), 300);
      if (answer.status === 404 || answer.status === 410) {
        throw proxyError('NOT_FOUND', `checksum database ${this.name}: ${path}: ${answer.status} ${text}`);
      }
      throw proxyError('CHECKSUM_DATABASE_FAILED', `checksum database ${this.name} at ${endpoint.url} answered ${path} with ${answer.status}: ${text}`);
    })).value as Buffer;
  }

  private failedRead(endpoint: DatabaseEndpoint, path: string, err: unknown): ProxyError {
    if (err instanceof AnswerTooLargeError || (isProxyError(err) && err.code === 'BAD_UPSTREAM_CONTENT')) {
      return this.misbehaving(`it answered ${path} with more than ${MAX_ANSWER_BYTES} bytes`);
    }
    const code = (err as { code?: string }).code ?? '';
    const timedOut = /TIMEOUT/.test(code) || code === 'ETIMEDOUT';
    return proxyError(
      timedOut ? 'CHECKSUM_DATABASE_TIMEOUT' : 'CHECKSUM_DATABASE_FAILED',
      `checksum database ${this.name} at ${endpoint.url} ${timedOut ? `did not answer ${path} within ${this.timeoutMs} ms` : `cannot be reached for ${path}: ${(err as Error).message}`}`,
      err,
    );
  }

  /**
   * What to do when the database cannot be reached, in the words of the settings: the mirror form
   * first (a network that reaches only an internal mirror), then accepting modules unverified.
   * Short: the go command shows at most 648 bytes of an answer's text.
   */
  unreachableHint(): string {
    const key = KNOWN_SUMDB_KEYS[this.name] === this.verifier.vkey ? this.name : `${this.name}+<key>`;
    return (
      `to reach it through a mirror, use an upstream that serves /sumdb/${this.name}/ or set ` +
      `sumdb: "${key} https://<mirror>/sumdb/${this.name}"; or sumdbUnreachable: serve-unverified`
    );
  }

  private checkAlarm(): void {
    if (this.alarm) throw proxyError('CHECKSUM_DATABASE_MISBEHAVING', this.alarm);
  }

  private misbehaving(what: string): ProxyError {
    return proxyError('CHECKSUM_DATABASE_MISBEHAVING', `checksum database ${this.name} misbehaves: ${what}`);
  }

  private asDatabaseError(err: unknown, doing: string): unknown {
    if (err instanceof TlogError) return this.misbehaving(`${doing}: ${err.message}`);
    return err;
  }

  private key(rest: string): string {
    return databaseStorageKey(this.name, rest);
  }
}

/** Storage keys as in the go command's module cache: cache/download/sumdb/<name>/… */
export function databaseStorageKey(name: string, rest: string): string {
  return `sumdb/${name}/${rest}`;
}

/** The h1 hashes a database record (go.sum lines) holds for module@version's zip and go.mod. */
export function hashesInRecord(record: Buffer, modulePath: string, version: string): { zip?: string; mod?: string } {
  const hashes: { zip?: string; mod?: string } = {};
  for (const line of record.toString('utf8').split('\n')) {
    const [path, v, hash] = line.split(' ');
    if (path !== modulePath || hash === undefined) continue;
    if (v === version) hashes.zip = hash;
    if (v === `${version}/go.mod`) hashes.mod = hash;
  }
  return hashes;
}

export function lookupKey(modulePath: string, version: string): string {
  return `${escapePath(modulePath)}@${escapeVersion(version)}`;
}

/** Whether a tile's hashes (or records) all lie within a tree of n records. */
function tileInTree(tile: Tile, n: number): boolean {
  const end = (tile.N * 2 ** tile.H + tile.W) * 2 ** (Math.max(tile.L, 0) * tile.H);
  return end <= n;
}

/** The database could not be asked at all (as opposed to answering wrongly). */
export function isUnreachable(err: unknown): boolean {
  return isProxyError(err) && (err.code === 'CHECKSUM_DATABASE_FAILED' || err.code === 'CHECKSUM_DATABASE_TIMEOUT');
}
