/**
 * `gomodproxy import`: takes an offline bundle (see bundleFormat.ts) into storage, checking every
 * module version before any of its files becomes visible:
 * - entries must be files of the download layout, named canonically, within the size limits;
 * - the .mod's h1 and the .zip's h1 (by the module zip rules, which the zip must pass) must be the
 *   manifest's, the zip's go.mod must be the .mod, and the .info must name the version;
 * - where a go.sum is given, its lines must agree; where the checksum database can be reached
 *   (and the path is not private or nosumdb), it must agree too.
 * A version that fails is refused with its reasons and nothing of it is stored; the others are
 * imported. A version the policy refuses (policy.deny, or a module not on policy.allow) is
 * skipped unchecked, with the policy's reason: the bundle is a source as an upstream is.
 * Immutable files already stored are kept; one that differs is reported.
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
import type { ModuleChecksums } from '../sumdb/index.ts';
import { MANIFEST_NAME, MAX_BUNDLE_ENTRY, MAX_MANIFEST } from './bundleFormat.ts';
import type { Progress } from './progress.ts';

export type ImportOptions = {
  storage: Storage;
  checksums: ModuleChecksums;
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
  refused: Array<{ entry: string; reasons: string[] }>;
  /** Versions the policy refuses, with its reason; nothing of them was stored. */
  skipped: Array<{ entry: string; reason: string }>;
};

type Staged = { info?: string; mod?: string; zip?: string };

export async function importBundle(bundle: string, options: ImportOptions): Promise<ImportSummary> {
  const { storage, progress } = options;
  const staging = await fs.mkdtemp(path.join(os.tmpdir(), 'gomodproxy-import-'));
  const summary: ImportSummary = { imported: 0, alreadyStored: 0, notCheckedAgainstDatabase: 0, refused: [], skipped: [] };
  try {
    const reading = progress?.working(`reading ${path.basename(bundle)}`);
    const { manifest, versions } = await unpack(bundle, staging, summary, progress).finally(() => reading?.());
    if (manifest === null) {
      summary.refused.push({ entry: bundle, reasons: [`the bundle has no ${MANIFEST_NAME} manifest of hashes, so nothing in it can be checked`] });
      return summary;
    }
    const expected = new Map<string, string>();
    for (const line of manifest) expected.set(`${line.path} ${line.version}${line.goMod ? '/go.mod' : ''}`, line.hash);
    const goSum = new Map<string, string>();
    for (const line of options.goSum ?? []) goSum.set(`${line.path} ${line.version}${line.goMod ? '/go.mod' : ''}`, line.hash);

    // The bundle carries its own hashes: a version the checksum database cannot be asked about is imported and counted.
    const acceptance = new VersionAcceptance({ storage, checksums: options.checksums, whenDatabaseUnreachable: 'accept-unchecked' });
    progress?.total(versions.size);
    const modules = new Set<string>();
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
      const outcome = await importVersion(modulePath, version, files, { storage, acceptance, expected, goSum }).finally(() => checking?.());
      if (outcome.refused) summary.refused.push({ entry: name, reasons: outcome.refused });
      else if (outcome.stored) {
        summary.imported++;
        modules.add(modulePath);
      } else summary.alreadyStored++;
      if (outcome.unchecked) summary.notCheckedAgainstDatabase++;
      progress?.step(name);
    }
    for (const modulePath of modules) await writeStoredList(storage, modulePath);
    return summary;
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

/** Reads the tar: the manifest into memory, each version's files into the staging folder. */
async function unpack(bundle: string, staging: string, summary: ImportSummary, progress: Progress | undefined): Promise<{ manifest: GoSumLine[] | null; versions: Map<string, Staged> }> {
  const versions = new Map<string, Staged>();
  let manifest: GoSumLine[] | null = null;
  let count = 0;
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
      if (name === MANIFEST_NAME) {
        if (size > MAX_MANIFEST) {
          refuse(`the manifest is ${size} bytes, more than ${MAX_MANIFEST}`);
          continue;
        }
        try {
          manifest = parseGoSum((await readAll(entry)).toString('utf8'), MANIFEST_NAME);
        } catch (err) {
          summary.refused.push({ entry: name, reasons: [(err as Error).message] });
        }
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
    // A broken tar ends the entries with an error: the pipeline says what is wrong with the file.
    await reading;
    throw err;
  }
  await reading;
  return { manifest, versions };
}

class BundleError extends Error {}

function isSafeKey(key: string): boolean {
  try {
    checkStorageKey(key);
    return true;
  } catch {
    return false;
  }
}

async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

type VersionOutcome = { refused?: string[]; stored: boolean; unchecked: boolean };

/**
 * The bundle's own claims (its manifest, and the go.sum given) are checked here; everything else
 * a version must pass before it is stored is the acceptance step's, as for a fetched version.
 */
async function importVersion(
  modulePath: string,
  version: string,
  files: Staged,
  options: { storage: Storage; acceptance: VersionAcceptance; expected: Map<string, string>; goSum: Map<string, string> },
): Promise<VersionOutcome> {
  const { acceptance } = options;
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
  /** The checksum database is asked only while the bundle's claims agree; a refusal is kept as a reason. */
  const checkChecksum = async (file: 'mod' | 'zip', hash: string): Promise<void> => {
    if (!claimsAgree(file, hash)) return;
    try {
      if ((await acceptance.checkChecksum(offer, file, hash)) === 'unchecked') unchecked = true;
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

  const { storage } = options;
  let stored = false;
  if (await acceptance.storeSmallFile(modulePath, version, 'mod', mod)) stored = true;
  else if (!(await storage.readBytes(versionKey(modulePath, version, 'mod')))?.equals(mod)) {
    return { refused: ['a different .mod is stored already; stored files are never replaced'], stored: false, unchecked };
  }
  if (info && (await acceptance.storeSmallFile(modulePath, version, 'info', info))) stored = true;
  if (files.zip && zipHash) {
    // The staged copy is consumed by storage; the .ziphash follows the zip.
    if (await acceptance.storeZip(modulePath, version, await copyForStorage(storage, files.zip), zipHash)) stored = true;
  }
  return { stored, unchecked };
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
  for (const r of summary.refused) lines.push(`  refused ${r.entry}: ${r.reasons.join('; ')}`);
  return lines.join('\n') + '\n';
}

export { BundleError };
