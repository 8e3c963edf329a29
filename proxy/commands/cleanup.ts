/**
 * `gomodproxy cleanup`: removes module versions nobody needs any more, by a rule a platform
 * team can state in one line:
 *
 *   a version is kept when it was downloaded within keepSince, or is among the keepLatest newest
 *   releases of its module, or is pinned; every other version is removed.
 *
 * "Downloaded" is the latest time any replica recorded for it (storage/downloadLog.ts), or, for a
 * version with no record, when it was stored. Releases are versions without a pre-release part
 * (pseudo-versions are pre-releases). Removing a version deletes its files and rewrites the
 * module's `@v/list`; a proxy fetches it again on the next request. A download in progress is not
 * torn: an opened object stays readable when its key is deleted.
 */
import { matchPrefixPatterns, semverPrerelease, sortBySemver } from '../protocol/index.ts';
import {
  compactDownloadTimes,
  provenanceKey,
  readDownloadTimes,
  type ListedKey,
  versionId,
  versionKey,
  writeStoredList,
  type Storage,
  type VersionFileKind,
  versionKeyParser,
} from '../storage/index.ts';
import type { MirrorPruning } from '../sources/index.ts';
import { formatBytes } from './formatBytes.ts';
import { forEachConcurrently } from './pool.ts';
import type { Progress } from './progress.ts';

export type CleanupPolicy = {
  keepSinceMs: number;
  keepLatest: number;
  /** `module@version` (that version) or a module path pattern (all its versions). */
  pins: string[];
  /** Only modules matching these GOPRIVATE-style patterns are looked at; all when empty. */
  modules: string[];
  dryRun: boolean;
};

export type RemovedVersion = {
  module: string;
  version: string;
  bytes: number;
  /** The last download any replica recorded; null when it never was (only prefetched or imported). */
  lastDownload: string | null;
  /** When its newest file was stored. */
  stored: string;
};

export type CleanupSummary = {
  dryRun: boolean;
  modules: number;
  versions: number;
  kept: number;
  removed: RemovedVersion[];
  freedBytes: number;
};

/** A version found in the store: its files as listed, by kind, with sizes and times where known. */
type Held = {
  module: string;
  version: string;
  files: VersionFiles;
  /** From the download journal, once the version is looked at. */
  lastDownload: number | undefined;
};

/** One object shape for every version (a Map per version costs a whole-store walk its memory). */
type VersionFiles = Record<VersionFileKind, ListedKey | undefined>;

/** A version to remove: the bytes of its files, and the time of its newest. */
type Removal = { held: Held; bytes: number; storedAt: number };

/** Deletion order: the .mod first, from then on the version is no longer listed as held. */
const FILE_KINDS = ['mod', 'info', 'zip', 'ziphash'] as const satisfies readonly VersionFileKind[];

/**
 * The file whose time is looked at first when the time stored decides: the one a version gets
 * last (its .ziphash follows the .zip, which a build fetches after the .mod), so that its time
 * alone keeps a version stored recently.
 */
const NEWEST_FIRST = ['ziphash', 'zip', 'info', 'mod'] as const satisfies readonly VersionFileKind[];

export async function cleanup(storage: Storage, policy: CleanupPolicy, options: { now?: number; progress?: Progress } = {}): Promise<CleanupSummary> {
  const now = options.now ?? Date.now();
  const { progress } = options;
  const { times, usage, keys: journal } = await readDownloadTimes(storage);
  const byModule = await heldVersions(storage, policy.modules);

  // Each rule is asked only what it needs. A version kept by the newest-releases rule, a pin or a
  // download within keepSince needs no stat. One never downloaded is kept by any file stored
  // within keepSince: its newest-looking file is stat'ed first, the others only when that one does
  // not keep it. A version to be removed is reported with its files' sizes and the time stored.
  const pinnedVersions = new Set(policy.pins.filter((p) => p.includes('@')));
  const pinnedModules = policy.pins.filter((p) => !p.includes('@'));
  const recent = (at: number) => now - at < policy.keepSinceMs;
  const candidates: Held[] = [];
  let held = 0;
  for (const [module, versions] of byModule) {
    held += versions.length;
    if (pinnedModules.length > 0 && matchPrefixPatterns(pinnedModules, module)) continue;
    const releases = sortBySemver(
      versions.filter((v) => semverPrerelease(v.version) === ''),
      (v) => v.version,
    );
    const newestReleases = new Set(policy.keepLatest > 0 ? releases.slice(-policy.keepLatest) : []);
    for (const v of versions) {
      if (newestReleases.has(v)) continue;
      const id = versionId(v.module, v.version);
      if (pinnedVersions.has(id)) continue;
      v.lastDownload = times.get(id);
      if (v.lastDownload === undefined || !recent(v.lastDownload)) candidates.push(v);
    }
  }
  const newestLooking: ListedKey[] = [];
  for (const v of candidates) if (v.lastDownload === undefined) newestLooking.push(firstOf(v.files, NEWEST_FIRST)!);
  await storage.fillStored(newestLooking);
  const rest: ListedKey[] = [];
  const undecided = candidates.filter((v) => {
    const first = v.lastDownload === undefined ? firstOf(v.files, NEWEST_FIRST)!.stored : undefined;
    if (first && recent(first.modifiedMs)) return false;
    for (const kind of FILE_KINDS) if (v.files[kind] && !v.files[kind].stored) rest.push(v.files[kind]);
    return true;
  });
  await storage.fillStored(rest);

  const remove: Removal[] = [];
  for (const v of undecided) {
    if (!v.files.mod?.stored && !v.files.zip?.stored) {
      held--; // its .mod and .zip went away since the listing
      continue;
    }
    let bytes = 0;
    let storedAt = 0;
    for (const kind of FILE_KINDS) {
      const stored = v.files[kind]?.stored;
      if (!stored) continue;
      bytes += stored.size;
      storedAt = Math.max(storedAt, stored.modifiedMs);
    }
    if (!recent(v.lastDownload ?? storedAt)) remove.push({ held: v, bytes, storedAt });
  }

  progress?.total(remove.length);
  const touched = new Set<string>();
  if (!policy.dryRun) {
    await forEachConcurrently(remove, 8, async ({ held: v }) => {
      for (const kind of FILE_KINDS) {
        if (v.files[kind]?.stored) await storage.delete(versionKey(v.module, v.version, kind));
      }
      await storage.delete(provenanceKey(v.module, v.version));
      touched.add(v.module);
      progress?.step(`${v.module}@${v.version}`);
    });
  }
  const removed = remove.map(({ held: v, bytes, storedAt }): RemovedVersion => {
    if (policy.dryRun) progress?.step();
    return {
      module: v.module,
      version: v.version,
      bytes,
      lastDownload: v.lastDownload === undefined ? null : new Date(v.lastDownload).toISOString(),
      stored: new Date(storedAt).toISOString(),
    };
  });

  if (!policy.dryRun) {
    for (const module of touched) await writeStoredList(storage, module);
    // Merge the journal; times of removed versions are dropped with them.
    for (const { held: v } of remove) times.delete(versionId(v.module, v.version));
    if (journal.length > 1 || remove.length > 0) await compactDownloadTimes(storage, times, journal, now, usage);
  }

  const summary: CleanupSummary = {
    dryRun: policy.dryRun,
    modules: byModule.size,
    versions: held,
    kept: held - removed.length,
    removed: sortByModuleAndVersion(removed),
    freedBytes: removed.reduce((sum, r) => sum + r.bytes, 0),
  };
  if (!policy.dryRun) await storage.put(LAST_CLEANUP_KEY, Buffer.from(JSON.stringify(lastCleanupRecord(summary, policy, new Date()))));
  return summary;
}

function firstOf(files: VersionFiles, kinds: readonly VersionFileKind[]): ListedKey | undefined {
  for (const kind of kinds) if (files[kind]) return files[kind];
  return undefined;
}

/** Where a cleanup that removed for real leaves its report, for the health view of every replica. */
export const LAST_CLEANUP_KEY = 'gomodproxy/cleanup/last.json';

export type LastCleanup = CleanupReport & { versions: number; kept: number; modules: string[] };

function lastCleanupRecord(summary: CleanupSummary, policy: CleanupPolicy, finished: Date): LastCleanup {
  return { ...cleanupReport(summary, finished), versions: summary.versions, kept: summary.kept, modules: policy.modules };
}

/** The last cleanup's report; null when none ran (or it cannot be read). */
export async function readLastCleanup(storage: Storage): Promise<LastCleanup | null> {
  const body = await storage.readBytes(LAST_CLEANUP_KEY);
  try {
    return body ? (JSON.parse(body.toString('utf8')) as LastCleanup) : null;
  } catch {
    return null;
  }
}

/** By module path, then by version precedence: each module's versions sorted apart, which compares far fewer versions than one sort of all. */
function sortByModuleAndVersion(removed: RemovedVersion[]): RemovedVersion[] {
  const byModule = new Map<string, RemovedVersion[]>();
  for (const r of removed) {
    const list = byModule.get(r.module);
    if (list) list.push(r);
    else byModule.set(r.module, [r]);
  }
  const modules = [...byModule.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return modules.flatMap((module) => sortBySemver(byModule.get(module)!, (r) => r.version));
}

/**
 * Every version with a stored .mod or .zip, by module, from one walk of the store: a key is
 * parsed once per version (its first file), each module path once, and modules outside
 * `modules` are dropped by their path, matched once.
 */
async function heldVersions(storage: Storage, modules: string[]): Promise<Map<string, Held[]>> {
  const parse = versionKeyParser();
  const wanted = new Map<string, boolean>();
  const versions = new Map<string, Held | null>();
  for await (const batch of storage.listUnder('')) {
    for (const listed of batch) {
      const { key } = listed;
      const dot = key.lastIndexOf('.');
      const kind = key.slice(dot + 1);
      if (dot < 0 || !VERSION_FILE_KINDS.has(kind)) continue;
      const base = key.slice(0, dot);
      let version = versions.get(base);
      if (version === undefined) {
        const parsed = parse(key);
        if (parsed && modules.length > 0 && !wanted.has(parsed.module)) wanted.set(parsed.module, matchPrefixPatterns(modules, parsed.module));
        version =
          parsed && (modules.length === 0 || wanted.get(parsed.module))
            ? { module: parsed.module, version: parsed.version, files: { info: undefined, mod: undefined, zip: undefined, ziphash: undefined }, lastDownload: undefined }
            : null;
        versions.set(base, version);
      }
      if (version) version.files[kind as VersionFileKind] = listed;
    }
  }
  const byModule = new Map<string, Held[]>();
  for (const version of versions.values()) {
    // A version is held when its .mod or .zip is; a lone .info (a resolved query) goes with nothing.
    if (!version || (!version.files.mod && !version.files.zip)) continue;
    const list = byModule.get(version.module);
    if (list) list.push(version);
    else byModule.set(version.module, [version]);
  }
  return byModule;
}

const VERSION_FILE_KINDS = new Set<string>(FILE_KINDS);

/**
 * What a finished cleanup reports to Kubernetes as its termination message, one compact JSON
 * line; the operator copies it into the GoModuleProxy's status.lastCleanup (the same fields).
 */
export type CleanupReport = { time: string; removedVersions: number; freedBytes: number };

export function cleanupReport(summary: CleanupSummary, finished: Date): CleanupReport {
  return { time: finished.toISOString(), removedVersions: summary.removed.length, freedBytes: summary.freedBytes };
}

export function formatCleanupSummary(summary: CleanupSummary): string {
  const verb = summary.dryRun ? 'would remove' : 'removed';
  const lines = summary.removed.map(
    (r) => `${verb} ${r.module}@${r.version} (${formatBytes(r.bytes)}, ${r.lastDownload === null ? `never downloaded (stored ${r.stored})` : `last downloaded ${r.lastDownload}`})`,
  );
  lines.push(
    `cleanup${summary.dryRun ? ' (dry run)' : ''}: ${summary.versions} versions of ${summary.modules} modules; ` +
      `${verb} ${summary.removed.length}, kept ${summary.kept}; ${summary.dryRun ? 'would free' : 'freed'} ${formatBytes(summary.freedBytes)}`,
  );
  return lines.join('\n') + '\n';
}

/** The line of `cleanup --git-mirrors` about the git cache. */
export function formatMirrorPruning(pruning: MirrorPruning, dryRun: boolean): string {
  const verb = dryRun ? 'would remove' : 'removed';
  return `git mirrors: ${verb} ${pruning.removed.length} (${formatBytes(pruning.freedBytes)}), kept ${pruning.kept}\n`;
}
