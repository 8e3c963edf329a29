/**
 * What the store holds, in memory: every module path and its versions, so that search and a
 * module's version list never touch storage. A version is held when its .mod or .zip is stored
 * (as cleanup counts them); a lone .info (a resolved query) is not.
 *
 * It is filled from a listing of the store in the background (catalogUpkeep.ts), told of every
 * version this process stores, and made equal to the store again by each later listing (which
 * also brings what other replicas and commands stored or removed).
 *
 * Search matches module paths without regard to case (hosts serve github.com/Acme/x and
 * github.com/acme/x alike) and answers them sorted by that folded spelling, then by the path.
 */
import { latestVersion } from '../protocol/index.ts';
import type { VersionDetails } from './versionDetails.ts';

export type CatalogVersion = {
  version: string;
  hasMod: boolean;
  hasZip: boolean;
  /** Last download any replica recorded (ms since 1970); null when none was. */
  lastDownload: number | null;
  /** The catalog's tick when a listing or a store in this process last noted it. */
  noted: number;
  /** Read from storage the first time someone looks (the files are immutable). */
  details?: VersionDetails;
};

export type CatalogModule = {
  path: string;
  /** The sort and match key: the path in lower case. */
  folded: string;
  versions: Map<string, CatalogVersion>;
  /** The version `latest` names among those held (see latestOf); null until asked after a change. */
  latest: string | undefined | null;
  lastDownload: number | null;
};

export type SearchMatch = 'prefix' | 'substring';

export class ModuleCatalog {
  private readonly modules = new Map<string, CatalogModule>();
  /** All modules sorted by (folded, path); rebuilt on the first search after a module came or went. */
  private sorted: CatalogModule[] | null = null;
  private versionCount = 0;
  /** Counts notes, so that a listing can tell what nobody noted since it started. */
  private ticks = 0;
  /** Download times of versions not (yet) in the catalog, taken when they are added. */
  private readonly earlyDownloads = new Map<string, number>();
  /** True once the first listing of the store is done. */
  complete = false;
  /** The bytes the whole store used at the last listing (every file, the proxy's own records too); null when the store gives no sizes or before. */
  storedBytes: number | null = null;
  /**
   * What the store held at the last listing, by the UTC day each file was written: per day, the
   * bytes of files written up to its end that are still there (so a cleanup shows as the old days
   * shrinking, not as a drop). Empty when the store gives no sizes, or before the first listing.
   */
  storageGrowth: Array<{ day: string; bytes: number }> = [];

  get counts(): { modules: number; versions: number } {
    return { modules: this.modules.size, versions: this.versionCount };
  }

  module(path: string): CatalogModule | undefined {
    return this.modules.get(path);
  }

  /** Notes a stored .mod or .zip (seen by a listing, or stored by this process). */
  noteFile(modulePath: string, version: string, file: 'mod' | 'zip'): void {
    let module = this.modules.get(modulePath);
    if (!module) {
      module = { path: modulePath, folded: modulePath.toLowerCase(), versions: new Map(), latest: null, lastDownload: null };
      this.modules.set(modulePath, module);
      this.sorted = null;
    }
    let entry = module.versions.get(version);
    if (!entry) {
      const id = `${modulePath}@${version}`;
      const downloaded = this.earlyDownloads.get(id) ?? null;
      this.earlyDownloads.delete(id);
      entry = { version, hasMod: false, hasZip: false, lastDownload: downloaded, noted: 0 };
      module.versions.set(version, entry);
      this.versionCount++;
      module.latest = null;
      if (downloaded !== null && downloaded > (module.lastDownload ?? -Infinity)) module.lastDownload = downloaded;
    }
    if (file === 'mod') entry.hasMod = true;
    else if (!entry.hasZip) {
      entry.hasZip = true;
      delete entry.details; // read again: it now has a size and an h1
    }
    entry.noted = ++this.ticks;
  }

  /** Where a listing starts: what is not noted after this tick was not seen by it. */
  listingStarts(): number {
    return this.ticks;
  }

  removeVersion(modulePath: string, version: string): void {
    const module = this.modules.get(modulePath);
    if (!module?.versions.delete(version)) return;
    this.versionCount--;
    if (module.versions.size === 0) {
      this.modules.delete(modulePath);
      this.sorted = null;
      return;
    }
    module.latest = null;
    module.lastDownload = null;
    for (const v of module.versions.values()) if (v.lastDownload !== null && v.lastDownload > (module.lastDownload ?? -Infinity)) module.lastDownload = v.lastDownload;
  }

  /** The version the go command's `latest` names among the versions held. */
  latestOf(module: CatalogModule): string | undefined {
    if (module.latest === null) module.latest = latestVersion([...module.versions.keys()]);
    return module.latest;
  }

  /** Notes a download (the latest time wins). */
  noteDownload(modulePath: string, version: string, at: number): void {
    const module = this.modules.get(modulePath);
    const entry = module?.versions.get(version);
    if (!module || !entry) {
      const id = `${modulePath}@${version}`;
      if (at > (this.earlyDownloads.get(id) ?? -Infinity)) this.earlyDownloads.set(id, at);
      return;
    }
    if (at > (entry.lastDownload ?? -Infinity)) entry.lastDownload = at;
    if (at > (module.lastDownload ?? -Infinity)) module.lastDownload = at;
  }

  /**
   * Removes what a finished listing (started at tick `start`) did not see, unless this process
   * stored it meanwhile: a version stored during the listing may have been missed by it. Download
   * times of versions the store does not hold are forgotten.
   */
  dropUnseen(start: number): void {
    for (const module of [...this.modules.values()]) {
      for (const entry of [...module.versions.values()]) {
        if (entry.noted <= start) this.removeVersion(module.path, entry.version);
      }
    }
    this.earlyDownloads.clear();
    this.complete = true;
  }

  /**
   * The modules whose path holds `text` (at its start, for prefix) and that `visible` lets
   * through, in sort order. Empty text matches every module.
   */
  search(text: string, match: SearchMatch, visible: (module: CatalogModule) => boolean): CatalogModule[] {
    const all = this.sortedModules();
    const folded = text.toLowerCase();
    if (match === 'prefix') {
      const found: CatalogModule[] = [];
      for (let i = lowerBound(all, folded); i < all.length && all[i]!.folded.startsWith(folded); i++) {
        if (visible(all[i]!)) found.push(all[i]!);
      }
      return found;
    }
    return all.filter((module) => (folded === '' || module.folded.includes(folded)) && visible(module));
  }

  private sortedModules(): CatalogModule[] {
    this.sorted ??= [...this.modules.values()].sort(compareModules);
    return this.sorted;
  }
}

/** The sort order of search answers (and of pagination cursors). */
export function compareSortKeys(a: { folded: string; path: string }, b: { folded: string; path: string }): number {
  if (a.folded !== b.folded) return a.folded < b.folded ? -1 : 1;
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

const compareModules = compareSortKeys;

/** The first index whose folded path is not below `folded`. */
function lowerBound(modules: CatalogModule[], folded: string): number {
  let low = 0;
  let high = modules.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (modules[mid]!.folded < folded) low = mid + 1;
    else high = mid;
  }
  return low;
}
