/**
 * The keys of the module cache's download layout, and the store's own `@v/list`:
 *
 *   <escaped module path>/@v/<escaped version>.info | .mod | .zip | .ziphash
 *   <escaped module path>/@v/list      the release and pre-release versions held, one per line
 *   <escaped module path>/@v/<escaped version>.provenance   how the version came to be stored
 *                                      (provenance.ts); not a file of the go command's layout
 *
 * A version counts as held when its .mod is stored (a .zip is fetched only when a build needs it).
 */
import { compareSemver, escapePath, escapeVersion, isCanonicalVersion, isPseudoVersion, unescapePath, unescapeVersion } from '../protocol/index.ts';
import { rememberLast } from '../rememberLast.ts';
import type { Storage } from './storage.ts';

export type VersionFileKind = 'info' | 'mod' | 'zip' | 'ziphash';

export function versionKey(modulePath: string, version: string, kind: VersionFileKind): string {
  return `${escapedModulePath(modulePath)}/@v/${escapeVersion(version)}.${kind}`;
}

/** The key of a version's provenance record (written beside its files, removed with them). */
export function provenanceKey(modulePath: string, version: string): string {
  return `${escapedModulePath(modulePath)}/@v/${escapeVersion(version)}.provenance`;
}

export function listKey(modulePath: string): string {
  return `${escapedModulePath(modulePath)}/@v/list`;
}

/**
 * escapePath checks the whole path before escaping it, and every cached answer asks for a key of
 * the same few modules again: the escaped forms of the last 1000 paths (of at most 512 characters)
 * are kept. A path that fails the check throws each time.
 */
const escapedModulePath = rememberLast(1000, escapePath, (modulePath) => modulePath.length <= 512);

export type ParsedVersionKey = { module: string; version: string; kind: VersionFileKind };

const VERSION_FILE_KINDS = new Set<string>(['info', 'mod', 'zip', 'ziphash']);

/** The module version and file a key names; null for any other key. */
export function parseVersionKey(key: string): ParsedVersionKey | null {
  return parseVersionKeyWith(key, unescapeModulePath);
}

/**
 * parseVersionKey for the keys of a walk of the store: each module's path is unescaped and checked
 * once (the parser remembers it), not once for every file of every version.
 */
export function versionKeyParser(): (key: string) => ParsedVersionKey | null {
  const modules = new Map<string, string | null>();
  const moduleOf = (escaped: string): string | null => {
    let module = modules.get(escaped);
    if (module === undefined) modules.set(escaped, (module = unescapeModulePath(escaped)));
    return module;
  };
  return (key) => parseVersionKeyWith(key, moduleOf);
}

/** "<escaped module path>/@v/<escaped version>.<kind>", the version canonical. */
function parseVersionKeyWith(key: string, moduleOf: (escaped: string) => string | null): ParsedVersionKey | null {
  const slash = key.lastIndexOf('/');
  const dot = key.lastIndexOf('.');
  if (slash < 4 || dot <= slash + 1 || !key.startsWith('/@v', slash - 3)) return null;
  const kind = key.slice(dot + 1);
  if (!VERSION_FILE_KINDS.has(kind)) return null;
  let version: string;
  try {
    version = unescapeVersion(key.slice(slash + 1, dot));
  } catch {
    return null;
  }
  if (!isCanonicalVersion(version)) return null;
  const module = moduleOf(key.slice(0, slash - 3));
  return module === null ? null : { module, version, kind: kind as VersionFileKind };
}

function unescapeModulePath(escaped: string): string | null {
  try {
    return unescapePath(escaped);
  } catch {
    return null;
  }
}

/** Release and pre-release versions with a stored .mod, oldest first. */
export async function storedVersions(storage: Storage, modulePath: string): Promise<string[]> {
  const versions: string[] = [];
  for (const name of await storage.list(`${escapePath(modulePath)}/@v/`)) {
    if (!name.endsWith('.mod')) continue;
    let version: string;
    try {
      version = unescapeVersion(name.slice(0, -'.mod'.length));
    } catch {
      continue;
    }
    if (isCanonicalVersion(version) && !isPseudoVersion(version)) versions.push(version);
  }
  return versions.sort(compareSemver);
}

/** Rewrites a module's `@v/list` from the versions held, as the go command's cache keeps it. */
export async function writeStoredList(storage: Storage, modulePath: string): Promise<void> {
  const versions = await storedVersions(storage, modulePath);
  await storage.put(listKey(modulePath), Buffer.from(versions.map((v) => `${v}\n`).join('')));
}
