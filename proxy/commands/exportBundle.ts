/**
 * `gomodproxy export`: writes module versions held in storage to an offline bundle (see
 * bundleFormat.ts). The tar is written beside its final name and renamed when complete, so a
 * bundle that exists is whole.
 */
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { pack as tarPack, type Pack } from 'tar-stream';
import type { Readable } from 'node:stream';
import { hashGoMod } from '../modzip/index.ts';
import { compareSemver, formatGoSumLine, isPseudoVersion, matchPrefixPatterns, parseGoSum, type GoSumLine } from '../protocol/index.ts';
import { listKey, parseVersionKey, versionKey, type Storage } from '../storage/index.ts';
import { MANIFEST_NAME } from './bundleFormat.ts';
import type { Progress } from './progress.ts';

export type ExportSelection =
  /** The versions a go.sum names (a zip line exports .info, .mod and .zip; a /go.mod line the .mod). */
  | { goSum: string; file: string }
  /** Every version held, or those of modules matching GOPRIVATE-style patterns. */
  | { patterns: string[] | 'all' };

export type ExportSummary = { versions: number; files: number; bytes: number; missing: string[]; out: string };

type Version = { module: string; version: string; zip: boolean };

export async function exportBundle(storage: Storage, selection: ExportSelection, out: string, progress?: Progress): Promise<ExportSummary> {
  const { versions, missing } = await selectVersions(storage, selection);
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

  const partial = `${out}.partial`;
  const tar = tarPack();
  const written = pipeline(tar, createWriteStream(partial));
  let bytes = 0;
  try {
    await addEntry(tar, MANIFEST_NAME, Buffer.from(manifest.map(formatGoSumLine).join('')));
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
  return { versions: exported.length, files: entries.length + 1, bytes, missing, out };
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
  for (const m of summary.missing) lines.push(`  not exported ${m}`);
  return lines.join('\n') + '\n';
}
