/**
 * Git tags and commits to module versions, by the go command's rules
 * (cmd/go/internal/modfetch/coderepo.go):
 *
 * - a tag "<codeDir>/vX.Y.Z" (or "vX.Y.Z" at the root) is a version when the
 *   rest is canonical semver and not a pseudo-version;
 * - for a module without a major suffix, v0 and v1 tags are its versions;
 *   v2+ tags are "+incompatible" versions, listed only while the latest v0/v1
 *   release has no go.mod and the latest tag of that major has none either;
 * - for a /vN module, vN tags are its versions, and its go.mod is found in
 *   codeDir/vN when that go.mod declares /vN, else in codeDir;
 * - a commit that no version tag names gets a pseudo-version whose base is
 *   the highest version tag reachable from it.
 */
import { proxyError } from '../../errors.ts';
import {
  compareSemver,
  isCanonicalVersion,
  isIncompatibleQuery,
  isPseudoVersion,
  isValidSemver,
  makePseudoVersion,
  pathMajorPrefix,
  pseudoVersionRev,
  semverBuild,
  latestVersion,
  semverMajor,
} from '../../protocol/index.ts';
import type { ModuleLocation } from './locate.ts';
import type { GitRepository } from './repository.ts';

export type Revision = {
  version: string;
  commit: string;
  time: Date;
  /** The tag the version came from, if any. */
  tag?: string;
};

const MAX_GO_MOD = 16 << 20;

function tagPrefix(location: ModuleLocation): string {
  return location.codeDir === '' ? '' : `${location.codeDir}/`;
}

/** The version a tag stands for in this module, ignoring go.mod rules; null if none. */
function versionOfTag(tag: string, location: ModuleLocation): { version: string; incompatible: boolean } | null {
  const prefix = tagPrefix(location);
  if (!tag.startsWith(prefix)) return null;
  const version = tag.slice(prefix.length);
  if (!isCanonicalVersion(version) || semverBuild(version) !== '' || isPseudoVersion(version)) return null;
  const major = semverMajor(version);
  if (location.pathMajor !== '') return major === pathMajorPrefix(location.pathMajor) ? { version, incompatible: false } : null;
  if (major === 'v0' || major === 'v1') return { version, incompatible: false };
  return { version: `${version}+incompatible`, incompatible: true };
}

/** "v1.4.0+build.5" -> "v1.4.0"; other tags unchanged. */
function withoutBuild(tag: string): string {
  const plus = tag.lastIndexOf('+');
  if (plus < 0) return tag;
  const version = tag.slice(tag.lastIndexOf('/') + 1);
  return isValidSemver(version) ? tag.slice(0, plus) : tag;
}

function stripIncompatible(version: string): string {
  return version.replace(/\+incompatible$/, '');
}

/** The module directive's path in a go.mod, or "" when there is none. */
export function goModModulePath(goMod: Buffer): string {
  const match = /^\s*module\s+("(?:[^"\\]|\\.)*"|`[^`]*`|\S+)/m.exec(goMod.toString('utf8'));
  if (!match) return '';
  const raw = match[1]!;
  return raw.startsWith('"') ? (JSON.parse(raw) as string) : raw.replace(/^`|`$/g, '');
}

async function readGoMod(repo: GitRepository, commit: string, dir: string): Promise<Buffer | null> {
  const file = dir === '' ? 'go.mod' : `${dir}/go.mod`;
  const content = await repo.readFile(commit, file);
  if (content && content.length > MAX_GO_MOD) {
    throw proxyError('BAD_UPSTREAM_CONTENT', `${file} at ${commit.slice(0, 12)} is larger than 16 MiB`);
  }
  return content;
}

function declaresMajor(modulePath: string, pathMajor: string): boolean {
  const suffix = /\/(v\d+)$/.exec(modulePath)?.[0] ?? '';
  return suffix === pathMajor;
}

/**
 * The folder of the module at a commit and its go.mod (null when it has none), by the go
 * command's findDir rule; throws NOT_FOUND with the reason when the commit does not hold
 * this module.
 */
export async function findModuleRoot(repo: GitRepository, location: ModuleLocation, commit: string): Promise<{ dir: string; goMod: Buffer | null }> {
  const rootMod = await readGoMod(repo, commit, location.codeDir);
  const rootPath = rootMod ? goModModulePath(rootMod) : '';
  const rootFound = rootMod !== null && declaresMajor(rootPath, location.pathMajor);
  if (location.pathMajor !== '') {
    const majorDir = [location.codeDir, location.pathMajor.slice(1)].filter(Boolean).join('/');
    const majorMod = await readGoMod(repo, commit, majorDir);
    const majorPath = majorMod ? goModModulePath(majorMod) : '';
    const majorFound = majorMod !== null && declaresMajor(majorPath, location.pathMajor);
    if (rootFound && majorFound) {
      throw proxyError('NOT_FOUND', `${location.modulePath}: both ${location.codeDir || '.'}/go.mod and ${majorDir}/go.mod declare ${location.pathMajor}`);
    }
    if (majorFound) return { dir: majorDir, goMod: majorMod };
    if (majorMod) throw proxyError('NOT_FOUND', `${location.modulePath}: ${majorDir}/go.mod has module path ${JSON.stringify(majorPath)}, not one ending in ${location.pathMajor}`);
  }
  if (rootFound) return { dir: location.codeDir, goMod: rootMod };
  if (rootMod) {
    throw proxyError('NOT_FOUND', `${location.modulePath}: go.mod at revision ${commit.slice(0, 12)} has module path ${JSON.stringify(rootPath)}${location.pathMajor ? `, not one ending in ${location.pathMajor}` : ''}`);
  }
  if (location.pathMajor !== '') {
    throw proxyError('NOT_FOUND', `${location.modulePath}: no go.mod declaring ${location.pathMajor} at revision ${commit.slice(0, 12)}`);
  }
  return { dir: location.codeDir, goMod: null };
}

/** The release and pre-release versions of the module, sorted. */
export async function listVersions(repo: GitRepository, location: ModuleLocation): Promise<string[]> {
  const tags = await repo.tags();
  const compatible: string[] = [];
  const incompatible: Array<{ version: string; commit: string }> = [];
  const commits = new Map<string, string>();
  for (const [tag, commit] of tags) {
    const found = versionOfTag(tag, location);
    if (!found) continue;
    commits.set(found.version, commit);
    if (found.incompatible) incompatible.push({ version: found.version, commit });
    else compatible.push(found.version);
  }
  compatible.sort(compareSemver);
  incompatible.sort((a, b) => compareSemver(a.version, b.version));
  const versions = [...compatible];
  if (incompatible.length === 0 || location.pathMajor !== '') return versions;

  // The latest v0/v1 release has a go.mod: the author means consumers to stay on v0/v1.
  const latestCompatible = compatible.at(-1);
  if (latestCompatible && (await readGoMod(repo, commits.get(latestCompatible)!, location.codeDir))) return versions;
  // A major whose latest tag has a go.mod is not +incompatible at all.
  const majors = new Map<string, { version: string; commit: string }>();
  for (const entry of incompatible) majors.set(semverMajor(entry.version), entry);
  const majorHasGoMod = new Map<string, boolean>();
  for (const [major, latest] of majors) majorHasGoMod.set(major, (await readGoMod(repo, latest.commit, location.codeDir)) !== null);
  for (const entry of incompatible) if (!majorHasGoMod.get(semverMajor(entry.version))) versions.push(entry.version);
  return versions;
}

/** The highest of versions that are tags of this module at exactly this commit. */
async function tagAtCommit(repo: GitRepository, location: ModuleLocation, commit: string): Promise<{ version: string; tag: string } | null> {
  let best: { version: string; tag: string } | null = null;
  for (const [tag, target] of await repo.tags()) {
    if (target !== commit) continue;
    const found = versionOfTag(tag, location);
    if (found && (!best || compareSemver(found.version, best.version) > 0)) best = { version: found.version, tag };
  }
  return best;
}

/** A pseudo-version for a commit, based on the highest version tag reachable from it. */
async function pseudoVersion(repo: GitRepository, location: ModuleLocation, commit: string, time: Date, hasGoMod: boolean): Promise<string> {
  let base = '';
  for (const tag of await repo.tagsMergedInto(commit)) {
    // A tag with build metadata ("v1.4.0+build.5") is no version, but it is a base.
    const found = versionOfTag(tag, location) ?? versionOfTag(withoutBuild(tag), location);
    if (!found || (found.incompatible && hasGoMod)) continue;
    if (base === '' || compareSemver(found.version, base) > 0) base = found.version;
  }
  const major = location.pathMajor !== '' ? pathMajorPrefix(location.pathMajor) : '';
  return makePseudoVersion(major, base, time, commit.slice(0, 12));
}

/**
 * Resolves a version or a query (a branch, a tag, a commit hash or its prefix, "latest") to a
 * canonical version of the module at a commit; throws NOT_FOUND when there is none.
 */
export async function resolveRevision(repo: GitRepository, location: ModuleLocation, query: string): Promise<Revision> {
  const prefix = tagPrefix(location);
  let commit: string | null = null;
  let tag: string | undefined;

  if (query === 'latest') {
    // Without a version tag, the newest pseudo-version is the one of the default branch's head.
    const best = latestVersion(await listVersions(repo, location));
    if (best) return resolveRevision(repo, location, best);
    commit = await repo.head();
  } else if (!isPseudoVersion(query) && isIncompatibleQuery(query, location.pathMajor)) {
    return resolveRevision(repo, location, `${query}+incompatible`);
  } else if (isCanonicalVersion(query) && !isPseudoVersion(query)) {
    tag = prefix + stripIncompatible(query);
    const tags = await repo.tags();
    commit = tags.get(tag) ?? null;
    if (!commit) throw proxyError('NOT_FOUND', `${location.modulePath}@${query}: unknown revision ${tag}`);
  } else if (isPseudoVersion(query)) {
    commit = await repo.resolveCommit(pseudoVersionRev(query));
    if (!commit) throw proxyError('NOT_FOUND', `${location.modulePath}@${query}: unknown revision ${pseudoVersionRev(query)}`);
  } else {
    commit = await repo.resolveCommit(query);
    if (!commit) throw proxyError('NOT_FOUND', `${location.modulePath}@${query}: unknown revision ${query}`);
  }

  const time = await repo.commitTime(commit);
  const root = await findModuleRoot(repo, location, commit);
  let version: string;
  if (tag !== undefined) {
    version = query;
    const incompatible = query.endsWith('+incompatible');
    if (incompatible && root.goMod) {
      throw proxyError('NOT_FOUND', `${location.modulePath}@${query}: invalid version: +incompatible suffix not allowed: module contains a go.mod file`);
    }
    if (!incompatible && location.pathMajor === '' && !['v0', 'v1'].includes(semverMajor(query))) {
      throw proxyError('NOT_FOUND', `${location.modulePath}@${query}: invalid version: should be v0 or v1, not ${semverMajor(query)}`);
    }
  } else {
    const tagged = await tagAtCommit(repo, location, commit);
    if (tagged && !(tagged.version.endsWith('+incompatible') && root.goMod)) {
      version = tagged.version;
      tag = tagged.tag;
    } else {
      version = await pseudoVersion(repo, location, commit, time, root.goMod !== null);
      if (isPseudoVersion(query) && query !== version) {
        throw proxyError('NOT_FOUND', `${location.modulePath}@${query}: invalid pseudo-version: the commit's version is ${version}`);
      }
    }
  }
  return { version, commit, time, ...(tag !== undefined && { tag }) };
}
