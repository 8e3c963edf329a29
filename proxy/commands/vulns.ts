/**
 * `gomodproxy vulns`: which stored module versions advisories of the vulnerability database affect,
 * by the newest snapshot in the store (the one a serving proxy uses), read the same way on disk
 * and in S3. A version is stored when its .mod or .zip is (as `cleanup` counts them).
 *
 * The report lists every affected version with its advisories (ID, aliases, summary, fixed
 * version, severity where the entry states one, the page that describes it); the table shows one
 * row per advisory and version, by advisory ID.
 */
import { matchPrefixPatterns } from '../protocol/index.ts';
import { parseVersionKey, type Storage } from '../storage/index.ts';
import { AdvisoryIndex, type Advisory, type AdvisorySource } from '../vulndb/advisoryIndex.ts';
import { decodeSnapshot, MirroredSnapshot, storedSnapshotKeys } from '../vulndb/index.ts';
import type { SnapshotStatus } from '../vulndb/vulnerableVersions.ts';

/**
 * The newest snapshot in the store, checked as a serving proxy checks it when it takes one from
 * storage; undefined when there is none (no proxy with `vulndb` has refreshed into this store yet).
 */
export async function readStoredSnapshot(storage: Storage): Promise<{ snapshot: MirroredSnapshot; status: SnapshotStatus } | undefined> {
  for (const key of await storedSnapshotKeys(storage)) {
    const bytes = await storage.readBytes(key);
    // Removed by a refresh since the listing: the next older key is still a whole snapshot.
    if (!bytes) continue;
    const { database, refreshedAt } = decodeSnapshot(key, bytes);
    const snapshot = new MirroredSnapshot(database, { refreshedAt, stale: false });
    return { snapshot, status: { modified: snapshot.modified, refreshedAt: refreshedAt.toISOString(), stale: false } };
  }
  return undefined;
}

export type VulnsQuery = {
  /** Only modules matching these GOPRIVATE-style patterns; all when empty. */
  modules: string[];
  /** Only these advisories, by ID or alias (any case); all when empty. */
  ids: string[];
};

export type AffectedVersion = { module: string; version: string; advisories: Advisory[] };

export type VulnsReport = {
  database: SnapshotStatus;
  /** Stored versions looked at (those the module patterns select). */
  versions: number;
  affected: AffectedVersion[];
};

/** Every stored module version (a .mod or .zip in the store) of the selected modules, once each. */
async function storedModuleVersions(storage: Storage, modules: string[]): Promise<Array<{ module: string; version: string }>> {
  const seen = new Map<string, { module: string; version: string }>();
  for await (const key of storage.keysUnder('')) {
    const parsed = parseVersionKey(key);
    if (!parsed || (parsed.kind !== 'mod' && parsed.kind !== 'zip')) continue;
    if (modules.length > 0 && !matchPrefixPatterns(modules, parsed.module)) continue;
    seen.set(`${parsed.module}@${parsed.version}`, { module: parsed.module, version: parsed.version });
  }
  return [...seen.values()];
}

export async function vulnerableStoredVersions(storage: Storage, snapshot: AdvisorySource, database: SnapshotStatus, query: VulnsQuery): Promise<VulnsReport> {
  const index = new AdvisoryIndex(snapshot);
  const wanted = query.ids.length > 0 ? new Set(query.ids.map((id) => id.toUpperCase())) : null;
  const named = (a: Advisory) => wanted === null || wanted.has(a.id.toUpperCase()) || a.aliases.some((alias) => wanted.has(alias.toUpperCase()));
  const versions = await storedModuleVersions(storage, query.modules);
  const affected: AffectedVersion[] = [];
  for (const { module, version } of versions) {
    const advisories = index.advisoriesFor(module, version).filter(named);
    if (advisories.length > 0) affected.push({ module, version, advisories: [...advisories] });
  }
  affected.sort((a, b) => (a.module === b.module ? compareText(a.version, b.version) : compareText(a.module, b.module)));
  return { database, versions: versions.length, affected };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A table a person reads: one row per advisory and affected version, by advisory ID; then a summary line. */
export function formatVulnsReport(report: VulnsReport): string {
  const { database } = report;
  const about = `database modified ${database.modified}, refreshed ${database.refreshedAt}${database.stale ? ', stale' : ''}`;
  const advisories = new Set(report.affected.flatMap((v) => v.advisories.map((a) => a.id)));
  const summary = `${report.affected.length} of ${report.versions} stored versions affected by ${advisories.size} advisories (${about})\n`;
  if (report.affected.length === 0) return summary;
  const rows = report.affected
    .flatMap((v) => v.advisories.map((a) => ({ v, a })))
    .sort((x, y) => compareText(x.a.id, y.a.id) || compareText(x.v.module, y.v.module) || compareText(x.v.version, y.v.version))
    .map(({ v, a }) => [a.id, `${v.module}@${v.version}`, a.fixed || 'none', a.severity ?? '-', a.aliases.join(',') || '-', a.summary]);
  const table = [['ADVISORY', 'MODULE@VERSION', 'FIXED', 'SEVERITY', 'ALIASES', 'SUMMARY'], ...rows];
  const widths = table[0]!.map((_, column) => Math.max(...table.map((row) => row[column]!.length)));
  const lines = table.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ').trimEnd());
  return `${lines.join('\n')}\n${summary}`;
}
