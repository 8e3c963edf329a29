/**
 * `gomodproxy export`: writes module versions held in storage to an offline bundle (see
 * bundleFormat.ts), with the checksum database's proof for them, asked of the database now. The tar
 * is written beside its final name and renamed when complete, so a bundle that exists is whole.
 *
 * With `since`, only what is new is written (a one-way sync to an air-gapped site): versions not in
 * the earlier bundle's manifest (or stored after the date), tiles not in it, and the tiles that show
 * the new tree head extends the earlier bundle's (for a date: every head this store exported).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { extract as tarExtract, pack as tarPack, type Pack } from 'tar-stream';
import type { Readable } from 'node:stream';
import { hashGoMod } from '../modzip/index.ts';
import { compareSemver, formatGoSumLine, isPseudoVersion, matchPrefixPatterns, parseGoSum, type GoSumLine } from '../protocol/index.ts';
import { listKey, parseVersionKey, versionKey, type Storage } from '../storage/index.ts';
import { databaseStorageKey, isUnreachable, type CarriedProof, type ChecksumDatabase } from '../sumdb/index.ts';
import { newestStoredSnapshot } from '../vulndb/index.ts';
import { BUNDLE_FORMAT, HEADER_NAME, MANIFEST_NAME, MAX_MANIFEST, proofEntryName, type BundleHeader } from './bundleFormat.ts';
import { BundleError, readWholeEntry } from './importBundle.ts';
import type { Progress } from './progress.ts';

export type ExportSelection =
  /** The versions a go.sum names (a zip line exports .info, .mod and .zip; a /go.mod line the .mod). */
  | { goSum: string; file: string }
  /** Every version held, or those of modules matching GOPRIVATE-style patterns. */
  | { patterns: string[] | 'all' };

/** What the importing site holds already: an earlier bundle (a file), or what was stored before a date. */
export type ExportSince = { bundle: string } | { date: Date };

export type ExportOptions = {
  progress?: Progress;
  /** The checksum database whose proof the bundle carries; null when verification is off. */
  database?: ChecksumDatabase | null;
  /** Whether a module may be looked up in the database (not private or nosumdb). */
  mayLookUp?: (modulePath: string) => boolean;
  since?: ExportSince;
};

export type ExportSummary = {
  versions: number;
  files: number;
  bytes: number;
  missing: string[];
  out: string;
  /** The vulnerability database snapshot the bundle carries (null: none held, or the earlier bundle carried it). */
  vulnDatabase: { modified: string; entries: number } | null;
  /** The database tree head the bundle carries (null: none), and the versions it has no record of. */
  checksumDatabase: { name: string; treeSize: number; tiles: number; lookups: number; notFound: string[] } | null;
};

type Version = { module: string; version: string; zip: boolean };

export async function exportBundle(storage: Storage, selection: ExportSelection, out: string, options: ExportOptions = {}): Promise<ExportSummary> {
  const { progress, database = null } = options;
  const earlier = options.since && 'bundle' in options.since ? await readEarlierBundle(options.since.bundle) : null;
  const selected = await selectVersions(storage, selection);
  const missing = selected.missing;
  const versions = await newVersions(storage, selected.versions, options.since, earlier);
  progress?.total(versions.length);

  // Hashes first: the manifest leads the bundle.
  const manifest: GoSumLine[] = [];
  const entries: Array<{ key: string; size: number; modified: Date }> = [];
  const exported: Version[] = [];
  for (const v of versions) {
    const mod = await storage.readBytes(versionKey(v.module, v.version, 'mod'));
    if (!mod) {
      missing.push(`${v.module}@${v.version}: no .mod in storage`);
      continue;
    }
    manifest.push({ path: v.module, version: v.version, goMod: true, hash: hashGoMod(mod) });
    const kinds: Array<'info' | 'mod' | 'zip'> = ['info', 'mod'];
    if (v.zip) {
      const hash = (await storage.readBytes(versionKey(v.module, v.version, 'ziphash')))?.toString('utf8').trim();
      if (!hash) {
        missing.push(`${v.module}@${v.version}: no .zip in storage`);
      } else {
        manifest.push({ path: v.module, version: v.version, goMod: false, hash });
        kinds.push('zip');
      }
    }
    for (const kind of kinds) {
      const key = versionKey(v.module, v.version, kind);
      const stat = await storage.stat(key);
      if (stat) entries.push({ key, size: stat.size, modified: stat.modified });
      else if (kind === 'zip') throw new Error(`${key} has a .ziphash but no .zip in storage; the store is damaged`);
    }
    exported.push(v);
  }

  let proof: CarriedProof | null = null;
  if (database) {
    const mayLookUp = options.mayLookUp ?? (() => true);
    const sinceHeads = earlier ? (earlier.latest && earlier.database === database.name ? [earlier.latest] : []) : options.since ? await exportedHeads(storage, database.name) : [];
    try {
      proof = await database.proofForBundle(exported.filter((v) => mayLookUp(v.module)), sinceHeads);
    } catch (err) {
      if (!isUnreachable(err)) throw err;
      throw new Error(
        `${(err as Error).message}: the bundle would carry no proof for its versions; export where the database can be reached, ` +
          `or with sumdb: off for a bundle without it (the importing site then checks only the bundle's own hashes)`,
        { cause: err },
      );
    }
    // Tiles the earlier bundle carried are at the importing site already (a tile's content never changes).
    for (const path of earlier?.tiles ?? []) proof.tiles.delete(path);
  }
  // The newest vulnerability database snapshot, unless the earlier bundle carried that one.
  const heldSnapshot = await newestStoredSnapshot(storage);
  const vulnSnapshot = heldSnapshot && heldSnapshot.modified !== earlier?.vulnModified ? heldSnapshot : null;
  const header: BundleHeader = {
    format: BUNDLE_FORMAT,
    checksumDatabase: proof && database ? { name: database.name, treeSize: treeSizeOf(proof.latest) } : null,
    ...(vulnSnapshot && { vulnDatabase: { modified: vulnSnapshot.modified, entries: vulnSnapshot.entries } }),
    ...(options.since && { since: 'date' in options.since ? { date: options.since.date.toISOString() } : { ...(earlier?.treeSize !== undefined && { treeSize: earlier.treeSize }) } }),
  };

  const partial = `${out}.partial`;
  const tar = tarPack();
  const written = pipeline(tar, createWriteStream(partial));
  let bytes = 0;
  try {
    await addEntry(tar, HEADER_NAME, Buffer.from(`${JSON.stringify(header, null, 2)}\n`));
    await addEntry(tar, MANIFEST_NAME, Buffer.from(manifest.map(formatGoSumLine).join('')));
    if (proof && database) {
      // "supported" lets the go command use the unpacked bundle as GOPROXY=file:// with the database verified.
      await addEntry(tar, proofEntryName(database.name, 'supported'), Buffer.from('supported\n'));
      await addEntry(tar, proofEntryName(database.name, 'latest'), proof.latest);
      for (const [lookup, body] of proof.lookups) await addEntry(tar, proofEntryName(database.name, `lookup/${lookup}`), body);
      for (const [path, data] of proof.tiles) await addEntry(tar, proofEntryName(database.name, path), data);
    }
    if (vulnSnapshot) await addEntry(tar, vulnSnapshot.key, vulnSnapshot.bytes);
    for (const [module, list] of listsByModule(exported)) await addEntry(tar, listKey(module), Buffer.from(list));
    const done = new Set<string>();
    for (const entry of entries) {
      const object = await storage.read(entry.key);
      if (!object) throw new Error(`${entry.key} disappeared from storage while it was exported; run the export again`);
      await addEntry(tar, entry.key, object.stream(), object.size, entry.modified);
      bytes += object.size;
      const version = entry.key.replace(/\.(info|mod|zip)$/, '');
      if (!done.has(version)) {
        done.add(version);
        progress?.step(version);
      }
    }
    tar.finalize();
    await written;
    await fs.rename(partial, out);
  } catch (err) {
    tar.destroy();
    await written.catch(() => {});
    await fs.rm(partial, { force: true });
    throw err;
  }
  let checksumDatabase: ExportSummary['checksumDatabase'] = null;
  if (proof && database) {
    // Remembered, so that a later export --since <date> can show its head extends this one.
    await storage.put(databaseStorageKey(database.name, `exported/${treeSizeOf(proof.latest)}`), proof.latest);
    checksumDatabase = { name: database.name, treeSize: treeSizeOf(proof.latest), tiles: proof.tiles.size, lookups: proof.lookups.size, notFound: proof.notFound };
  }
  const proofFiles = proof ? 2 + proof.lookups.size + proof.tiles.size : 0;
  const vulnDatabase = vulnSnapshot && { modified: vulnSnapshot.modified, entries: vulnSnapshot.entries };
  return { versions: exported.length, files: entries.length + 2 + proofFiles + (vulnSnapshot ? 1 : 0), bytes, missing, out, vulnDatabase, checksumDatabase };
}

/** The number of records in a signed tree head (its second line); the database verified it. */
function treeSizeOf(note: Buffer): number {
  return Number(note.toString('utf8').split('\n')[1]);
}

/** The tree heads earlier exports of this store carried. */
async function exportedHeads(storage: Storage, database: string): Promise<Buffer[]> {
  const heads: Buffer[] = [];
  for await (const key of storage.keysUnder(databaseStorageKey(database, 'exported/'))) {
    const note = await storage.readBytes(key);
    if (note) heads.push(note);
  }
  return heads;
}

type EarlierBundle = { lines: Set<string>; database: string | null; latest: Buffer | null; treeSize?: number; tiles: string[]; vulnModified?: string };

/** What an earlier bundle holds: its manifest's lines, its checksum database head and tile names. */
async function readEarlierBundle(file: string): Promise<EarlierBundle> {
  const earlier: EarlierBundle = { lines: new Set(), database: null, latest: null, tiles: [] };
  const extract = tarExtract();
  const reading = pipeline(createReadStream(file), extract).catch((err: unknown) => {
    throw new BundleError(`--since ${file} is not a readable bundle: ${(err as Error).message}`);
  });
  let manifest = false;
  try {
    for await (const entry of extract) {
      const { name, size = 0 } = entry.header;
      if (name === HEADER_NAME && size < 1 << 20) {
        const header = JSON.parse((await readWholeEntry(entry)).toString('utf8')) as BundleHeader;
        earlier.database = header.checksumDatabase?.name ?? null;
        if (header.checksumDatabase) earlier.treeSize = header.checksumDatabase.treeSize;
        if (header.vulnDatabase) earlier.vulnModified = header.vulnDatabase.modified;
      } else if (name === MANIFEST_NAME && size <= MAX_MANIFEST) {
        manifest = true;
        for (const line of parseGoSum((await readWholeEntry(entry)).toString('utf8'), `${file}: ${MANIFEST_NAME}`)) earlier.lines.add(goSumKey(line));
      } else if (earlier.database && name === proofEntryName(earlier.database, 'latest')) {
        earlier.latest = await readWholeEntry(entry);
      } else {
        if (earlier.database && name.startsWith(proofEntryName(earlier.database, 'tile/'))) earlier.tiles.push(name.slice(proofEntryName(earlier.database, '').length));
        entry.resume();
      }
    }
  } catch (err) {
    await reading;
    throw err;
  }
  await reading;
  if (!manifest) throw new BundleError(`--since ${file} is not a bundle written by gomodproxy export: it has no ${MANIFEST_NAME}`);
  return earlier;
}

function goSumKey(line: GoSumLine): string {
  return `${line.path} ${line.version}${line.goMod ? '/go.mod' : ''}`;
}

/** The versions that are new since the earlier bundle (a line it lacks) or the date (stored after it). */
async function newVersions(storage: Storage, versions: Version[], since: ExportSince | undefined, earlier: EarlierBundle | null): Promise<Version[]> {
  if (!since) return versions;
  if (earlier) {
    return versions.filter((v) => !earlier.lines.has(`${v.module} ${v.version}/go.mod`) || (v.zip && !earlier.lines.has(`${v.module} ${v.version}`)));
  }
  const after = (since as { date: Date }).date.getTime();
  const fresh: Version[] = [];
  for (const v of versions) {
    const kinds: Array<'mod' | 'zip'> = v.zip ? ['mod', 'zip'] : ['mod'];
    const stats = await Promise.all(kinds.map((kind) => storage.stat(versionKey(v.module, v.version, kind))));
    if (stats.some((stat) => stat && stat.modified.getTime() > after)) fresh.push(v);
  }
  return fresh;
}

async function selectVersions(storage: Storage, selection: ExportSelection): Promise<{ versions: Version[]; missing: string[] }> {
  const byKey = new Map<string, Version>();
  const missing: string[] = [];
  if ('goSum' in selection) {
    for (const line of parseGoSum(selection.goSum, selection.file)) {
      const k = `${line.path}@${line.version}`;
      const v = byKey.get(k) ?? { module: line.path, version: line.version, zip: false };
      if (!line.goMod) v.zip = true;
      byKey.set(k, v);
    }
  } else {
    for await (const key of storage.keysUnder('')) {
      const parsed = parseVersionKey(key);
      if (!parsed || (parsed.kind !== 'mod' && parsed.kind !== 'zip')) continue;
      if (selection.patterns !== 'all' && !matchPrefixPatterns(selection.patterns, parsed.module)) continue;
      const k = `${parsed.module}@${parsed.version}`;
      const v = byKey.get(k) ?? { module: parsed.module, version: parsed.version, zip: false };
      if (parsed.kind === 'zip') v.zip = true;
      byKey.set(k, v);
    }
  }
  const versions = [...byKey.values()].sort((a, b) => (a.module === b.module ? compareSemver(a.version, b.version) : a.module < b.module ? -1 : 1));
  return { versions, missing };
}

function listsByModule(versions: Version[]): Map<string, string> {
  const lists = new Map<string, string>();
  for (const v of versions) {
    if (isPseudoVersion(v.version)) continue;
    lists.set(v.module, (lists.get(v.module) ?? '') + `${v.version}\n`);
  }
  return lists;
}

/** Adds one file to the tar, waiting until its content has gone in. */
function addEntry(tar: Pack, name: string, content: Buffer | Readable, size?: number, mtime = new Date()): Promise<void> {
  return new Promise((resolve, reject) => {
    const length = Buffer.isBuffer(content) ? content.length : size!;
    const entry = tar.entry({ name, size: length, mode: 0o644, mtime, type: 'file' }, (err) => (err ? reject(err) : resolve()));
    if (Buffer.isBuffer(content)) {
      entry.end(content);
    } else {
      content.once('error', (err) => {
        entry.destroy(err);
        reject(err);
      });
      content.pipe(entry);
    }
  });
}

export function formatExportSummary(summary: ExportSummary): string {
  const lines = [`export: ${summary.versions} module versions, ${summary.files} files, ${(summary.bytes / (1 << 20)).toFixed(1)} MiB to ${summary.out}`];
  const db = summary.checksumDatabase;
  if (db) {
    lines.push(`  checksum database ${db.name}: its signed tree head of ${db.treeSize} records, ${db.lookups} lookup records and ${db.tiles} tiles that prove them`);
    for (const v of db.notFound) lines.push(`  no checksum database record of ${v}: the importing site cannot check it against the database`);
  } else {
    lines.push('  no checksum database proof (sumdb is off): the importing site checks only the hashes in the bundle');
  }
  if (summary.vulnDatabase) {
    lines.push(`  vulnerability database: the snapshot of ${summary.vulnDatabase.modified} (${summary.vulnDatabase.entries} advisories)`);
  }
  for (const m of summary.missing) lines.push(`  not exported ${m}`);
  return lines.join('\n') + '\n';
}
