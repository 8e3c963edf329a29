/**
 * The one step a module version's files pass before they are stored, whoever offers them (an
 * upstream proxy, git, an offline bundle; later the vulnerability mirror and sync). What is stored
 * was accepted here, so a stored file is served without being checked again.
 *
 * The rules:
 * - a .info is a JSON object whose "Version" is the version asked for, with a readable "Time" if any;
 * - a .mod is a go.mod whose module line names the path asked for (goModAcceptance.ts), and its h1
 *   is the one the checksum database holds (private and nosumdb paths are exempt);
 * - a .zip passes the module zip rules (structure and limits), its go.mod is the version's .mod
 *   (the one offered with it, else the one stored), and its h1 is the one the database holds;
 * - a zip is stored with its h1 beside it as .ziphash, as the go command's module cache keeps it;
 * - stored files are immutable: a second writer keeps what is stored.
 *
 * A refusal is a ProxyError (BAD_UPSTREAM_CONTENT, or the checksum database's own) whose message
 * names who offered the file, the version and the rule it broke.
 */
import { isProxyError, proxyError } from './errors.ts';
import { checkServedGoMod } from './goModAcceptance.ts';
import { checkZipFile, hashGoMod, ZipCheckError } from './modzip/index.ts';
import { versionKey, writeProvenance, type Provenance, type Storage } from './storage/index.ts';
import type { ChecksumOutcome, ModuleChecksums } from './sumdb/index.ts';

export type ModuleInfo = { Version: string; Time?: string };

/** A module version offered for storage, and who offers it. */
export type Offer = {
  module: string;
  version: string;
  /** Names the offerer in refusals: "upstream", "the bundle's". */
  origin: string;
  /** The source that served the files, for the checksum database's mismatch report. */
  servedBy: string;
};

export type AcceptanceOptions = {
  storage: Storage;
  /** The checksum database check; none means no check. */
  checksums?: ModuleChecksums;
  /**
   * When the checksum database cannot be reached: follow the checksums' own policy (`refuse`
   * unless it says serve-unverified), or accept the files as `unchecked` (an import, whose
   * bundle carries its own hashes).
   */
  whenDatabaseUnreachable?: 'policy' | 'accept-unchecked';
  /** Told of every .mod and .zip stored (or found stored by an earlier writer), e.g. to keep a catalog. */
  onStored?: (modulePath: string, version: string, file: 'mod' | 'zip') => void;
  /**
   * Runs the write of a version's provenance record. By default the store awaits it; the module
   * service runs it in the background instead (the record is never served to the go command; a
   * version whose record was not written, as after a crash, reads as source "unknown").
   */
  writeProvenanceWith?: (modulePath: string, version: string, write: () => Promise<void>) => void;
};

/** Where an accepted version came from and what the checksum database said, for its provenance record. */
export type StoredHow = Omit<Provenance, 'stored'>;

/** What the checksum database said of an accepted file; `unchecked` when it could not be reached. */
export type AcceptedHash = { hash: string; checksum: ChecksumOutcome | 'unchecked' };

export class VersionAcceptance {
  private readonly storage: Storage;
  private readonly checksums: ModuleChecksums | undefined;
  private readonly whenDatabaseUnreachable: 'policy' | 'accept-unchecked';
  private readonly onStored: AcceptanceOptions['onStored'];
  private readonly writeProvenanceWith: AcceptanceOptions['writeProvenanceWith'];

  constructor(options: AcceptanceOptions) {
    this.storage = options.storage;
    this.checksums = options.checksums;
    this.whenDatabaseUnreachable = options.whenDatabaseUnreachable ?? 'policy';
    this.onStored = options.onStored;
    this.writeProvenanceWith = options.writeProvenanceWith;
  }

  /** Starts the checksum database lookup of a version while its files are fetched. */
  startLookup(modulePath: string, version: string): void {
    this.checksums?.startLookup(modulePath, version);
  }

  /** A .info must name the version asked for. */
  checkInfo(offer: Offer, body: Buffer): ModuleInfo {
    const info = parseInfo(body, `${offer.module}@${offer.version}.info`, offer.origin);
    if (info.Version !== offer.version) {
      throw proxyError(
        'BAD_UPSTREAM_CONTENT',
        `${offer.origin} .info for ${offer.module}@${offer.version} is for version ${JSON.stringify(info.Version)}; refusing it`,
      );
    }
    return info;
  }

  /** A .mod must be a go.mod of the module asked for (goModAcceptance.ts), with the h1 the checksum database holds. */
  async checkMod(offer: Offer, body: Buffer): Promise<AcceptedHash> {
    checkServedGoMod(body, offer.module, offer.version, offer.servedBy);
    const hash = hashGoMod(body);
    return { hash, checksum: await this.checkChecksum(offer, 'mod', hash) };
  }

  /** A zip (a file) must pass checkZipContent and have the h1 the checksum database holds. */
  async checkZip(offer: Offer, file: string, mod?: Buffer): Promise<AcceptedHash> {
    const hash = await this.checkZipContent(offer, file, mod);
    return { hash, checksum: await this.checkChecksum(offer, 'zip', hash) };
  }

  /**
   * A zip (a file) must pass the module zip rules and carry the version's go.mod (`mod`, else the
   * stored .mod); returns its h1.
   */
  async checkZipContent(offer: Offer, file: string, mod?: Buffer): Promise<string> {
    const refusal = (reason: string, cause?: unknown) =>
      proxyError('BAD_UPSTREAM_CONTENT', `${offer.origin} zip for ${offer.module}@${offer.version} refused: ${reason}`, cause);
    let summary;
    try {
      summary = await checkZipFile(file, { path: offer.module, version: offer.version });
    } catch (err) {
      if (err instanceof ZipCheckError) throw refusal(err.message, err);
      throw err;
    }
    if (summary.goMod) {
      const versionMod = mod ?? (await this.storage.readBytes(versionKey(offer.module, offer.version, 'mod')));
      if (versionMod && !versionMod.equals(Buffer.from(summary.goMod))) {
        throw refusal('its go.mod differs from the .mod served for the same version');
      }
    }
    return summary.hash;
  }

  /**
   * Stores an accepted .info or .mod; false when one was stored already (which is kept). With
   * `how`, a .mod stored here also gets the version's provenance record.
   */
  async storeSmallFile(modulePath: string, version: string, kind: 'info' | 'mod', body: Buffer, how?: StoredHow): Promise<boolean> {
    const stored = await this.storage.putImmutable(versionKey(modulePath, version, kind), body);
    if (kind === 'mod') await this.afterStore(modulePath, version, 'mod', stored, how);
    return stored;
  }

  /**
   * Stores an accepted zip from a file in the store's staging area (which the store consumes),
   * then its h1 as .ziphash (and, with `how`, the provenance record); false when the zip was
   * stored already (which is kept).
   */
  async storeZip(modulePath: string, version: string, stagedFile: string, hash: string, how?: StoredHow): Promise<boolean> {
    const stored = await this.storage.putImmutable(versionKey(modulePath, version, 'zip'), { file: stagedFile });
    await this.storage.putImmutable(versionKey(modulePath, version, 'ziphash'), Buffer.from(hash));
    await this.afterStore(modulePath, version, 'zip', stored, how);
    return stored;
  }

  /** The record is written by the writer that stored the file (the first of .mod and .zip keeps it). */
  private async afterStore(modulePath: string, version: string, file: 'mod' | 'zip', stored: boolean, how: StoredHow | undefined): Promise<void> {
    if (stored && how) {
      const record = { ...how, stored: new Date().toISOString() };
      const write = () => writeProvenance(this.storage, modulePath, version, record);
      if (this.writeProvenanceWith) this.writeProvenanceWith(modulePath, version, write);
      else await write();
    }
    this.onStored?.(modulePath, version, file);
  }

  /** A file's h1 must be the one the checksum database holds (private and nosumdb paths are exempt). */
  async checkChecksum(offer: Offer, file: 'mod' | 'zip', hash: string): Promise<AcceptedHash['checksum']> {
    if (!this.checksums) return 'off';
    try {
      return await this.checksums.verify(offer.module, offer.version, file, hash, offer.servedBy);
    } catch (err) {
      const unreachable = isProxyError(err) && (err.code === 'CHECKSUM_DATABASE_FAILED' || err.code === 'CHECKSUM_DATABASE_TIMEOUT');
      if (unreachable && this.whenDatabaseUnreachable === 'accept-unchecked') return 'unchecked';
      throw err;
    }
  }
}

/** A .info or @latest answer: a JSON object with a string "Version" and, if any, a readable "Time". */
export function parseInfo(body: Buffer, what: string, origin = 'upstream'): ModuleInfo {
  let info: unknown;
  try {
    info = JSON.parse(body.toString('utf8'));
  } catch {
    throw proxyError('BAD_UPSTREAM_CONTENT', `${origin} ${what} is not JSON; refusing it`);
  }
  const version = (info as { Version?: unknown })?.Version;
  if (typeof info !== 'object' || info === null || typeof version !== 'string') {
    throw proxyError('BAD_UPSTREAM_CONTENT', `${origin} ${what} has no "Version"; refusing it`);
  }
  const time = (info as { Time?: unknown }).Time;
  if (time !== undefined && (typeof time !== 'string' || Number.isNaN(Date.parse(time)))) {
    throw proxyError('BAD_UPSTREAM_CONTENT', `${origin} ${what} has an unreadable "Time" ${JSON.stringify(time)}; refusing it`);
  }
  return info as ModuleInfo;
}
