/**
 * `gomodproxy import`: takes an offline bundle (see bundleFormat.ts) into storage, checking every
 * module version before any of its files becomes visible:
 * - entries must be files of the download layout, named canonically, within the size limits;
 * - the .mod's h1 and the .zip's h1 (by the module zip rules, which the zip must pass) must be the
 *   manifest's, the zip's go.mod must be the .mod, and the .info must name the version;
 * - where a go.sum is given, its lines must agree;
 * - where the bundle carries the checksum database's proof (format 2), each version's hashes must be
 *   those of its record, proved in the bundle's signed tree head (sumdb/carriedProof.ts); that head
 *   must be on one timeline with the one this proxy holds, or the whole bundle is refused and
 *   nothing changes. Versions without a carried record (and bundles without a proof) are checked
 *   against the checksum database where it can be reached, and counted as not checked where not.
 *   Private and nosumdb paths are never checked against a database.
 * A version that fails is refused with its reasons and nothing of it is stored; the others are
 * imported, then the proof's checked tiles, lookups and tree head, so that the proxy serves them
 * under /sumdb/ with no database reachable. A version the policy refuses (policy.deny, or a module
 * not on policy.allow) is skipped unchecked, with the policy's reason: the bundle is a source as
 * an upstream is. Immutable files already stored are kept; one that differs is reported.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { extract as tarExtract } from 'tar-stream';
import type { ModulePolicy } from '../access/policy.ts';
import { VersionAcceptance, type Offer } from '../acceptVersion.ts';
import { hashGoMod } from '../modzip/index.ts';
import { parseGoSum, type GoSumLine } from '../protocol/index.ts';
import { checkStorageKey, parseVersionKey, versionKey, writeStoredList, type Storage } from '../storage/index.ts';
import { CarriedProofError, checkCarriedProof, type CarriedFiles, type CheckedProof, type ModuleChecksums, type Verifier } from '../sumdb/index.ts';
import { importSnapshot, isSnapshotEntry, MAX_SNAPSHOT_BYTES, type SnapshotImport } from '../vulndb/index.ts';
import { BUNDLE_FORMAT, HEADER_NAME, MANIFEST_NAME, MAX_BUNDLE_ENTRY, MAX_MANIFEST, MAX_PROOF_BYTES, proofEntryName, type BundleHeader } from './bundleFormat.ts';
import type { Progress } from './progress.ts';

export type ImportOptions = {
  storage: Storage;
  checksums: ModuleChecksums;
  /** The checksum database this proxy verifies against (its name and key); null with sumdb off. */
  database: { name: string; verifier: Verifier } | null;
  /** go.sum lines that must agree with the bundle, where they name its versions. */
  goSum?: GoSumLine[];
  progress?: Progress;
  /** Versions it refuses are skipped: nothing of them is stored. */
  policy?: ModulePolicy;
};

export type ImportSummary = {
  imported: number;
  /** Versions whose files were all stored already, with the same content. */
  alreadyStored: number;
  /** Versions not checked against the checksum database because it could not be reached. */
  notCheckedAgainstDatabase: number;
  /** The checksum database proof the bundle carries: what it proved, or why it was not used. */
  checksumDatabase?: { name: string; treeSize: number; heldBefore: number | null; held: number; proved: number } | { notUsed: string };
  refused: Array<{ entry: string; reasons: string[] }>;
  /** Versions the policy refuses, with its reason; nothing of them was stored. */
  skipped: Array<{ entry: string; reason: string }>;
  /** The vulnerability database snapshot the bundle carries, and what became of it. */
  vulnDatabase?: SnapshotImport;
};

type Staged = { info?: string; mod?: string; zip?: string };

export async function importBundle(bundle: string, options: ImportOptions): Promise<ImportSummary> {
  const { storage, progress } = options;
  const staging = await fs.mkdtemp(path.join(os.tmpdir(), 'gomodproxy-import-'));
  const summary: ImportSummary = { imported: 0, alreadyStored: 0, notCheckedAgainstDatabase: 0, refused: [], skipped: [] };
  try {
    const reading = progress?.working(`reading ${path.basename(bundle)}`);
    const { manifest, versions, header, carried, vulnSnapshot } = await unpack(bundle, staging, summary, progress).finally(() => reading?.());
    if (manifest === null) {
      summary.refused.push({ entry: bundle, reasons: [`the bundle has no ${MANIFEST_NAME} manifest of hashes, so nothing in it can be checked`] });
      return summary;
    }
    let proof: CheckedProof | null = null;
    const carriedName = header?.checksumDatabase?.name;
    if (carriedName !== undefined) {
      if (!options.database) summary.checksumDatabase = { notUsed: `it carries checksum database ${carriedName}'s proof, but this proxy's sumdb setting is off` };
      else if (options.database.name !== carriedName) {
        summary.checksumDatabase = { notUsed: `it carries checksum database ${carriedName}'s proof, but this proxy verifies against ${options.database.name}` };
      } else if (!carried?.latest) {
        summary.refused.push({ entry: bundle, reasons: [`its header says it carries checksum database ${carriedName}'s proof, but it has no ${proofEntryName(carriedName, 'latest')}; nothing was imported`] });
        return summary;
      } else {
        try {
          proof = await checkCarriedProof({ ...options.database, storage, files: carried as CarriedFiles });
        } catch (err) {
          if (!(err instanceof CarriedProofError)) throw err;
          summary.refused.push({ entry: bundle, reasons: [`${err.message}; nothing was imported`] });
          return summary;
        }
      }
    }
    const expected = new Map<string, string>();
    for (const line of manifest) expected.set(`${line.path} ${line.version}${line.goMod ? '/go.mod' : ''}`, line.hash);
    const goSum = new Map<string, string>();
    for (const line of options.goSum ?? []) goSum.set(`${line.path} ${line.version}${line.goMod ? '/go.mod' : ''}`, line.hash);

    // The bundle carries its own hashes: a version the checksum database cannot be asked about is imported and counted.
    const acceptance = new VersionAcceptance({ storage, checksums: options.checksums, whenDatabaseUnreachable: 'accept-unchecked' });
    progress?.total(versions.size);
    const modules = new Set<string>();
    let proved = 0;
    for (const [name, files] of versions) {
      const at = name.lastIndexOf('@');
      const modulePath = name.slice(0, at);
      const version = name.slice(at + 1);
      const refusal = options.policy?.storeRefusal(modulePath, version);
      if (refusal) {
        summary.skipped.push({ entry: name, reason: refusal.message });
        progress?.step(name);
        continue;
      }
      const checking = progress?.working(name);
      const versionProof = proof && options.checksums.mayLookUp(modulePath) ? proof : null;
      const outcome = await importVersion(modulePath, version, files, { storage, acceptance, expected, goSum, proof: versionProof }).finally(() => checking?.());
      if (outcome.refused) summary.refused.push({ entry: name, reasons: outcome.refused });
      else if (outcome.stored) {
        summary.imported++;
        modules.add(modulePath);
      } else summary.alreadyStored++;
      if (outcome.unchecked) summary.notCheckedAgainstDatabase++;
      if (outcome.proved) proved++;
      progress?.step(name);
    }
    for (const modulePath of modules) await writeStoredList(storage, modulePath);
    if (vulnSnapshot) {
      summary.vulnDatabase = await importSnapshot(storage, vulnSnapshot.name, vulnSnapshot.bytes);
      if (summary.vulnDatabase.outcome === 'refused') summary.refused.push({ entry: vulnSnapshot.name, reasons: [summary.vulnDatabase.reason] });
    }
    // A proof that proved nothing is not kept: the proxy would claim a database it cannot serve.
    if (proof && proved > 0) {
      await proof.store();
      const heldBefore = proof.held?.N ?? null;
      summary.checksumDatabase = { name: carriedName!, treeSize: proof.tree.N, heldBefore, held: Math.max(heldBefore ?? 0, proof.tree.N), proved };
    }
    return summary;
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

type Unpacked = {
  manifest: GoSumLine[] | null;
  versions: Map<string, Staged>;
  header: BundleHeader | null;
  carried: Partial<CarriedFiles> | null;
  vulnSnapshot: { name: string; bytes: Buffer } | null;
};

/**
 * Reads the tar: the header, the manifest and the checksum database proof into memory, each
 * version's files into the staging folder.
 */
async function unpack(bundle: string, staging: string, summary: ImportSummary, progress: Progress | undefined): Promise<Unpacked> {
  const versions = new Map<string, Staged>();
  let manifest: GoSumLine[] | null = null;
  let header: BundleHeader | null = null;
  let carried: (Partial<CarriedFiles> & { lookups: Map<string, Buffer>; tiles: Map<string, Buffer> }) | null = null;
  let proofBytes = 0;
  let count = 0;
  let vulnSnapshot: Unpacked['vulnSnapshot'] = null;
  const extract = tarExtract();
  const reading = pipeline(createReadStream(bundle), extract).catch((err: unknown) => {
    throw new BundleError(`${bundle} is not a readable tar: ${(err as Error).message}`);
  });
  try {
    for await (const entry of extract) {
      const { name, type, size = 0 } = entry.header;
      const refuse = (reason: string) => {
        summary.refused.push({ entry: name, reasons: [reason] });
        entry.resume();
      };
      if (type === 'directory') {
        entry.resume();
        continue;
      }
      if (type !== 'file') {
        refuse(`a ${type} entry; a bundle holds only files`);
        continue;
      }
      if (name === HEADER_NAME) {
        header = await readHeader(entry, size);
        const database = header.checksumDatabase?.name;
        if (database !== undefined) carried = { lookups: new Map(), tiles: new Map() };
        continue;
      }
      const proofPrefix = header?.checksumDatabase ? proofEntryName(header.checksumDatabase.name, '') : null;
      if (carried && proofPrefix && name.startsWith(proofPrefix)) {
        const rest = name.slice(proofPrefix.length);
        proofBytes += size;
        if (proofBytes > MAX_PROOF_BYTES) throw new BundleError(`${bundle} carries more than ${MAX_PROOF_BYTES} bytes of checksum database proof; nothing was imported`);
        if (rest === 'supported') entry.resume();
        else if (rest === 'latest') carried.latest = await readWholeEntry(entry);
        else if (rest.startsWith('lookup/')) carried.lookups.set(rest.slice('lookup/'.length), await readWholeEntry(entry));
        else if (rest.startsWith('tile/')) carried.tiles.set(rest, await readWholeEntry(entry));
        else refuse('not a checksum database file (latest, lookup/<module>@<version>, tile/…)');
        continue;
      }
      if (name === MANIFEST_NAME) {
        if (size > MAX_MANIFEST) {
          refuse(`the manifest is ${size} bytes, more than ${MAX_MANIFEST}`);
          continue;
        }
        try {
          manifest = parseGoSum((await readWholeEntry(entry)).toString('utf8'), MANIFEST_NAME);
        } catch (err) {
          summary.refused.push({ entry: name, reasons: [(err as Error).message] });
        }
        continue;
      }
      if (isSnapshotEntry(name)) {
        if (size > MAX_SNAPSHOT_BYTES) refuse(`a vulnerability database snapshot of ${size} bytes, more than ${MAX_SNAPSHOT_BYTES}`);
        else if (vulnSnapshot) refuse('a second vulnerability database snapshot; a bundle carries one');
        else vulnSnapshot = { name, bytes: await readWholeEntry(entry) };
        continue;
      }
      if (name.endsWith('/@v/list')) {
        entry.resume(); // rewritten from what is imported
        continue;
      }
      const parsed = parseVersionKey(name);
      if (!parsed || parsed.kind === 'ziphash' || versionKey(parsed.module, parsed.version, parsed.kind) !== name || !isSafeKey(name)) {
        refuse('not a .info, .mod or .zip of the module download layout (<escaped module path>/@v/<escaped version>.<ext>)');
        continue;
      }
      if (size > MAX_BUNDLE_ENTRY) {
        refuse(`${size} bytes, more than the ${MAX_BUNDLE_ENTRY} a module file may have`);
        continue;
      }
      const file = path.join(staging, `${count++}.${parsed.kind}`);
      await pipeline(entry, createWriteStream(file));
      progress?.bytes(size);
      const key = `${parsed.module}@${parsed.version}`;
      const staged = versions.get(key) ?? {};
      staged[parsed.kind] = file;
      versions.set(key, staged);
    }
  } catch (err) {
    if (err instanceof BundleError) {
      // Refused for what it says, not for how it is read: the reading stops here.
      extract.destroy();
      await reading.catch(() => {});
      throw err;
    }
    // A broken tar ends the entries with an error: the pipeline says what is wrong with the file.
    await reading;
    throw err;
  }
  await reading;
  return { manifest, versions, header, carried, vulnSnapshot };
}

class BundleError extends Error {}

async function readHeader(entry: AsyncIterable<unknown>, size: number): Promise<BundleHeader> {
  if (size > 1 << 20) throw new BundleError(`its ${HEADER_NAME} is ${size} bytes: not a bundle header; nothing was imported`);
  let header: BundleHeader;
  try {
    header = JSON.parse((await readWholeEntry(entry)).toString('utf8')) as BundleHeader;
  } catch (err) {
    throw new BundleError(`its ${HEADER_NAME} is not JSON (${(err as Error).message}); nothing was imported`);
  }
  if (!Number.isInteger(header.format) || header.format < 2) throw new BundleError(`its ${HEADER_NAME} names no bundle format; nothing was imported`);
  if (header.format > BUNDLE_FORMAT) {
    throw new BundleError(`it is a bundle of format ${header.format}, written by a newer gomodproxy; this one reads formats 1 to ${BUNDLE_FORMAT}: import it with a newer gomodproxy`);
  }
  const database = header.checksumDatabase;
  if (database !== null && (typeof database?.name !== 'string' || !/^[a-z0-9][a-z0-9.:/_~-]*$/.test(database.name) || database.name.includes('..'))) {
    throw new BundleError(`its ${HEADER_NAME} names no valid checksum database; nothing was imported`);
  }
  return header;
}

function isSafeKey(key: string): boolean {
  try {
    checkStorageKey(key);
    return true;
  } catch {
    return false;
  }
}

export async function readWholeEntry(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

type VersionOutcome = { refused?: string[]; stored: boolean; unchecked: boolean; proved?: boolean };

/**
 * The bundle's own claims (its manifest, and the go.sum given) are checked here; everything else
 * a version must pass before it is stored is the acceptance step's, as for a fetched version.
 */
async function importVersion(
  modulePath: string,
  version: string,
  files: Staged,
  options: { storage: Storage; acceptance: VersionAcceptance; expected: Map<string, string>; goSum: Map<string, string>; proof: CheckedProof | null },
): Promise<VersionOutcome> {
  const { acceptance, proof } = options;
  const offer: Offer = { module: modulePath, version, origin: "the bundle's", servedBy: 'the bundle' };
  const reasons: string[] = [];
  let unchecked = false;
  const claimsAgree = (file: 'mod' | 'zip', hash: string): boolean => {
    const line = `${modulePath} ${version}${file === 'mod' ? '/go.mod' : ''}`;
    const want = options.expected.get(line);
    if (want === undefined) reasons.push(`the manifest has no "${line}" line`);
    else if (want !== hash) reasons.push(`${line} is ${hash}, the manifest says ${want}`);
    const sum = options.goSum.get(line);
    if (sum !== undefined && sum !== hash) reasons.push(`${line} is ${hash}, go.sum says ${sum}`);
    return reasons.length === 0;
  };
  let proved = false;
  /** What the last check said, for the provenance record. */
  let outcome: 'verified' | 'unverified' | 'exempt' | 'off' | 'unchecked' = 'off';
  /**
   * The record the bundle carries decides where there is one; else the checksum database is asked.
   * Either only while the bundle's claims agree; a refusal is kept as a reason.
   */
  const checkChecksum = async (file: 'mod' | 'zip', hash: string): Promise<void> => {
    if (!claimsAgree(file, hash)) return;
    if (proof) {
      const line = `${modulePath} ${version}${file === 'mod' ? '/go.mod' : ''}`;
      let recorded;
      try {
        recorded = await proof.hashes(modulePath, version);
      } catch (err) {
        if (!(err instanceof CarriedProofError)) throw err;
        reasons.push(err.message);
        return;
      }
      if (recorded) {
        const want = recorded[file];
        if (want === undefined) reasons.push(`the checksum database record the bundle carries has no "${line}" line`);
        else if (want !== hash) reasons.push(`SECURITY ERROR: ${line} is ${hash}, but the checksum database record the bundle carries says ${want}`);
        else {
          proved = true;
          outcome = 'verified';
        }
        return;
      }
    }
    try {
      outcome = await acceptance.checkChecksum(offer, file, hash);
      if (outcome === 'unchecked') unchecked = true;
    } catch (err) {
      reasons.push((err as Error).message);
    }
  };

  if (!files.mod) return { refused: ['no .mod in the bundle'], stored: false, unchecked };
  const mod = await fs.readFile(files.mod);
  await checkChecksum('mod', hashGoMod(mod));
  let zipHash: string | undefined;
  if (files.zip) {
    try {
      zipHash = await acceptance.checkZipContent(offer, files.zip, mod);
      await checkChecksum('zip', zipHash);
    } catch (err) {
      reasons.push((err as Error).message);
    }
  }
  let info: Buffer | undefined;
  if (files.info) {
    info = await fs.readFile(files.info);
    try {
      acceptance.checkInfo(offer, info);
    } catch (err) {
      reasons.push((err as Error).message);
    }
  }
  if (reasons.length > 0) return { refused: reasons, stored: false, unchecked };
  proved &&= !unchecked;

  const { storage } = options;
  let stored = false;
  const how = { source: 'import' as const, checksum: unchecked ? ('unchecked' as const) : outcome };
  if (await acceptance.storeSmallFile(modulePath, version, 'mod', mod, how)) stored = true;
  else if (!(await storage.readBytes(versionKey(modulePath, version, 'mod')))?.equals(mod)) {
    return { refused: ['a different .mod is stored already; stored files are never replaced'], stored: false, unchecked };
  }
  if (info && (await acceptance.storeSmallFile(modulePath, version, 'info', info))) stored = true;
  if (files.zip && zipHash) {
    // The staged copy is consumed by storage; the .ziphash follows the zip.
    if (await acceptance.storeZip(modulePath, version, await copyForStorage(storage, files.zip), zipHash, how)) stored = true;
  }
  return { stored, unchecked, proved };
}

/** A copy of a staged file in the store's own staging area (putImmutable consumes it). */
async function copyForStorage(storage: Storage, file: string): Promise<string> {
  const target = await storage.stagingFile(path.basename(file));
  await fs.copyFile(file, target);
  return target;
}

export function formatImportSummary(summary: ImportSummary): string {
  const lines = [
    `import: ${summary.imported} module versions imported, ${summary.alreadyStored} already stored, ` +
      (summary.skipped.length > 0 ? `${summary.skipped.length} skipped by the policy, ` : '') +
      `${summary.refused.length} refused` +
      (summary.notCheckedAgainstDatabase > 0 ? `; ${summary.notCheckedAgainstDatabase} not checked against the checksum database (it could not be reached)` : ''),
  ];
  for (const s of summary.skipped) lines.push(`  skipped ${s.entry}: ${s.reason}`);
  const db = summary.checksumDatabase;
  if (db && 'notUsed' in db) lines.push(`  the bundle's checksum database proof was not used: ${db.notUsed}`);
  else if (db) {
    const timeline = db.heldBefore === null ? 'first tree held here' : db.treeSize >= db.heldBefore ? `extends the tree of ${db.heldBefore} held here` : `is part of the newer tree of ${db.heldBefore} held here, which stays`;
    lines.push(`  checksum database ${db.name}: ${db.proved} module versions proved by the signed tree head the bundle carries (${db.treeSize} records; ${timeline})`);
  }
  const vuln = summary.vulnDatabase;
  if (vuln && vuln.outcome === 'imported') lines.push(`  vulnerability database: the snapshot of ${vuln.modified} (${vuln.entries} advisories) is now the newest held`);
  else if (vuln && vuln.outcome === 'held-already') lines.push(`  vulnerability database: the snapshot of ${vuln.modified} was held already`);
  else if (vuln && vuln.outcome === 'held-newer') lines.push(`  vulnerability database: the bundle's snapshot of ${vuln.modified} is older than the one held (${vuln.held}), which stays`);
  for (const r of summary.refused) lines.push(`  refused ${r.entry}: ${r.reasons.join('; ')}`);
  return lines.join('\n') + '\n';
}

export { BundleError };
