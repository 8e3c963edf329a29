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
import { compareSemver, matchPrefixPatterns, semverPrerelease } from '../protocol/index.ts';
import {
  compactDownloadTimes,
  parseVersionKey,
  provenanceKey,
  readDownloadTimes,
  versionId,
  versionKey,
  writeStoredList,
  type Storage,
  type VersionFileKind,
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

type Held = { module: string; version: string; files: Map<VersionFileKind, number>; storedAt: number };

export async function cleanup(storage: Storage, policy: CleanupPolicy, options: { now?: number; progress?: Progress } = {}): Promise<CleanupSummary> {
  const now = options.now ?? Date.now();
  const { progress } = options;
  const { times, usage, keys: journal } = await readDownloadTimes(storage);
  const held = await heldVersions(storage, policy.modules);

  const byModule = new Map<string, Held[]>();
  for (const version of held.values()) {
    const list = byModule.get(version.module) ?? [];
    list.push(version);
    byModule.set(version.module, list);
  }

  const pinnedVersions = new Set(policy.pins.filter((p) => p.includes('@')));
  const pinnedModules = policy.pins.filter((p) => !p.includes('@'));
  const remove: Array<Held & { lastDownload: number | undefined }> = [];
  for (const [module, versions] of byModule) {
    const releases = versions
      .map((v) => v.version)
      .filter((v) => semverPrerelease(v) === '')
      .sort(compareSemver);
    const newestReleases = new Set(policy.keepLatest > 0 ? releases.slice(-policy.keepLatest) : []);
    const modulePinned = pinnedModules.length > 0 && matchPrefixPatterns(pinnedModules, module);
    for (const v of versions) {
      const id = versionId(v.module, v.version);
      const lastDownload = times.get(id);
      const keep = now - (lastDownload ?? v.storedAt) < policy.keepSinceMs || newestReleases.has(v.version) || modulePinned || pinnedVersions.has(id);
      if (!keep) remove.push({ ...v, lastDownload });
    }
  }

  progress?.total(remove.length);
  const removed: RemovedVersion[] = [];
  const touched = new Set<string>();
  await forEachConcurrently(remove, 8, async (v) => {
    if (!policy.dryRun) {
      // The .mod goes first: from then on the version is no longer listed as held.
      for (const kind of ['mod', 'info', 'zip', 'ziphash'] as const) {
        if (v.files.has(kind)) await storage.delete(versionKey(v.module, v.version, kind));
      }
      await storage.delete(provenanceKey(v.module, v.version));
      touched.add(v.module);
    }
    const bytes = [...v.files.values()].reduce((a, b) => a + b, 0);
    removed.push({
      module: v.module,
      version: v.version,
      bytes,
      lastDownload: v.lastDownload === undefined ? null : new Date(v.lastDownload).toISOString(),
      stored: new Date(v.storedAt).toISOString(),
    });
    progress?.step(`${v.module}@${v.version}`);
  });

  if (!policy.dryRun) {
    for (const module of touched) await writeStoredList(storage, module);
    // Merge the journal; times of removed versions are dropped with them.
    for (const v of remove) times.delete(versionId(v.module, v.version));
    if (journal.length > 1 || remove.length > 0) await compactDownloadTimes(storage, times, journal, now, usage);
  }

  removed.sort((a, b) => (a.module === b.module ? compareSemver(a.version, b.version) : a.module < b.module ? -1 : 1));
  const summary: CleanupSummary = {
    dryRun: policy.dryRun,
    modules: byModule.size,
    versions: held.size,
    kept: held.size - removed.length,
    removed,
    freedBytes: removed.reduce((sum, r) => sum + r.bytes, 0),
  };
  if (!policy.dryRun) await storage.put(LAST_CLEANUP_KEY, Buffer.from(JSON.stringify(lastCleanupRecord(summary, policy, new Date()))));
  return summary;
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

/** Every version with a stored .mod or .zip, with its files' sizes: one pass over the keys, then the stats at once. */
async function heldVersions(storage: Storage, modules: string[]): Promise<Map<string, Held>> {
  const files: Array<{ key: string; module: string; version: string; kind: VersionFileKind }> = [];
  for await (const key of storage.keysUnder('')) {
    const parsed = parseVersionKey(key);
    if (!parsed) continue;
    if (modules.length > 0 && !matchPrefixPatterns(modules, parsed.module)) continue;
    files.push({ key, ...parsed });
  }
  const held = new Map<string, Held>();
  await forEachConcurrently(files, 64, async (file) => {
    const stat = await storage.stat(file.key);
    if (!stat) return;
    const id = versionId(file.module, file.version);
    let version = held.get(id);
    if (!version) held.set(id, (version = { module: file.module, version: file.version, files: new Map(), storedAt: 0 }));
    version.files.set(file.kind, stat.size);
    version.storedAt = Math.max(version.storedAt, stat.modified.getTime());
  });
  // A version is held when its .mod or .zip is; a lone .info (a resolved query) goes with nothing.
  for (const [id, v] of held) if (!v.files.has('mod') && !v.files.has('zip')) held.delete(id);
  return held;
}

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
