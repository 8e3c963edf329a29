/**
 * Which version a query names, by the go command's rules (cmd/go/internal/modload/query.go and
 * cmd/go/internal/modfetch/coderepo.go).
 */
import { checkPathMajor, splitPathVersion } from './modulePath.ts';
import { isPseudoVersion, pseudoVersionDate } from './pseudoVersion.ts';
import { compareSemver, isCanonicalVersion, semverBuild, semverMajor, semverPrerelease } from './semver.ts';

/**
 * Whether a version asked of a proxy is a query, whose answer may name another version: anything
 * but a canonical version valid for the module path (module.Check). For a canonical version
 * valid for the path the answer must be exactly that version (proxyRepo.Stat refuses any other).
 * So "v3.0.0" of a path without /v3 is a query: only "v3.0.0+incompatible" can answer it.
 */
export function isVersionQuery(modulePath: string, version: string): boolean {
  if (!isCanonicalVersion(version)) return true;
  try {
    checkPathMajor(version, splitPathVersion(modulePath)?.pathMajor ?? '');
    return false;
  } catch {
    return true;
  }
}

/**
 * A version of major 2 or higher asked of a module path without a major suffix ("v3.0.0" of
 * example.com/m) cannot be a version of that module: only "v3.0.0+incompatible" can. The go
 * command sends it as a query (`@v/v3.0.0.info`) and takes the +incompatible version the answer
 * names. pathMajor is the path's suffix as splitPathVersion gives it ("", "/v2", ".v1").
 */
export function isIncompatibleQuery(version: string, pathMajor: string): boolean {
  if (pathMajor !== '' || !isCanonicalVersion(version) || semverBuild(version) !== '') return false;
  const major = semverMajor(version);
  return major !== 'v0' && major !== 'v1';
}

/**
 * The version "latest" names among a module's versions: the highest release; without one the
 * highest pre-release; without tagged versions at all, the newest pseudo-version by its commit
 * time (modload's queryProxy with "latest", and proxyRepo.latest when a proxy has no @latest).
 * Undefined for an empty list; versions that are not canonical are ignored. +incompatible
 * versions count as listed: the source leaves them out of its list when the latest compatible
 * version has a go.mod (as the go command's query does), see sources/git/versions.ts.
 */
export function latestVersion(versions: readonly string[]): string | undefined {
  const canonical = versions.filter(isCanonicalVersion);
  const tagged = canonical.filter((v) => !isPseudoVersion(v));
  const releases = tagged.filter((v) => semverPrerelease(v) === '');
  const pool = releases.length > 0 ? releases : tagged;
  if (pool.length > 0) return [...pool].sort(compareSemver).at(-1);
  let newest: { version: string; time: number } | undefined;
  for (const version of canonical) {
    const time = pseudoVersionTime(version);
    if (time !== undefined && (newest === undefined || time > newest.time)) newest = { version, time };
  }
  return newest?.version;
}

/** The commit time of a pseudo-version in milliseconds; undefined when its timestamp is no real time. */
function pseudoVersionTime(version: string): number | undefined {
  try {
    return pseudoVersionDate(version).getTime();
  } catch {
    return undefined;
  }
}
