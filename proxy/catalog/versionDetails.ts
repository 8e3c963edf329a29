/**
 * What the module page shows of a version, read from its stored files: the version's time (its
 * .info), the zip's size and h1 (its .ziphash, as the go command's module cache keeps it), the
 * go.mod's h1, and the provenance record. The files are immutable, so a version's details are
 * read once and kept in the catalog.
 */
import { forEachConcurrently } from '../commands/pool.ts';
import { hashGoMod } from '../modzip/index.ts';
import { readProvenance, versionKey, type StoredChecksum, type Storage, type VersionSource } from '../storage/index.ts';
import type { CatalogModule, ModuleCatalog } from './moduleCatalog.ts';

export type VersionDetails = {
  /** The version's time from its .info; null without one. */
  time: string | null;
  /** The zip's bytes; null when only the .mod is stored (the zip was never asked for). */
  size: number | null;
  /** The zip's h1, as in go.sum; null without a stored zip. */
  h1: string | null;
  /** The go.mod's h1, as in go.sum's `/go.mod` line. */
  goModH1: string | null;
  /** Where it came from; `unknown` for versions stored before the provenance record was kept. */
  source: VersionSource | 'unknown';
  /** What the checksum database said when it was stored; null when not recorded. */
  checksum: StoredChecksum | null;
};

/** Reads a version's details; null when neither its .mod nor its .zip is stored any more. */
export async function readVersionDetails(storage: Storage, modulePath: string, version: string): Promise<VersionDetails | null> {
  const [info, mod, zip, zipHash, provenance] = await Promise.all([
    storage.readBytes(versionKey(modulePath, version, 'info')),
    storage.readBytes(versionKey(modulePath, version, 'mod')),
    storage.stat(versionKey(modulePath, version, 'zip')),
    storage.readBytes(versionKey(modulePath, version, 'ziphash')),
    readProvenance(storage, modulePath, version),
  ]);
  if (!mod && !zip) return null;
  return {
    time: infoTime(info),
    size: zip?.size ?? null,
    h1: zip && zipHash ? zipHash.toString('utf8').trim() || null : null,
    goModH1: mod ? hashGoMod(mod) : null,
    source: provenance?.source ?? 'unknown',
    checksum: provenance?.checksum ?? null,
  };
}

/** Reads the details of a module's versions not read yet (a few at a time); versions gone from the store leave the catalog. */
export async function loadModuleDetails(catalog: ModuleCatalog, storage: Storage, module: CatalogModule): Promise<void> {
  const missing = [...module.versions.values()].filter((entry) => !entry.details);
  await forEachConcurrently(missing, 16, async (entry) => {
    const details = await readVersionDetails(storage, module.path, entry.version);
    if (details) entry.details = details;
    else catalog.removeVersion(module.path, entry.version);
  });
}

function infoTime(info: Buffer | null): string | null {
  if (!info) return null;
  try {
    const time = (JSON.parse(info.toString('utf8')) as { Time?: unknown }).Time;
    return typeof time === 'string' && !Number.isNaN(Date.parse(time)) ? time : null;
  } catch {
    return null;
  }
}
