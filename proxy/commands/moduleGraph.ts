/**
 * The module graph the go command reads for `go mod download all`, and the build list it selects
 * from it (cmd/go/internal/modload: readModGraph, expandGraph, updatePrunedRoots; "Module graph
 * pruning" and "Minimal version selection" in the Go modules reference), so that prefetch fetches
 * what the go command would fetch, and nothing more.
 *
 * - The roots are the main module's requirements; in a workspace (go.work), the main modules.
 * - Pruning: when the main module's go line is 1.17 or later, the go command reads the go.mod of
 *   each root and adds its requirements to the graph, but reads further only below a module whose
 *   go.mod has no go line or one before 1.17; below such a module it reads everything, whatever the
 *   go lines further down say. A main module before 1.17 (or without a go line) reads the whole
 *   graph.
 * - In a pruned graph a root may not be the version selected (a requirement names a higher one):
 *   the roots are raised to the selected versions and the graph is read again until they agree, as
 *   with -mod=mod (-mod=readonly refuses such a go.mod instead).
 * - Minimal version selection: a module path's selected version is the highest one named by any
 *   requirement in the graph (the main modules' own versions win over every other); the build list
 *   is the selected version of each path.
 * - The main modules' exclude directives drop requirements on those versions, everywhere.
 * - Replace directives (go.work's first, then the main modules'; one naming the version before one
 *   for every version) put another module version, or a local folder, in the place of a module
 *   version: its go.mod gives the requirements and it is what is downloaded; the graph still knows
 *   the module by its own path. A local folder's go.mod is read from disk; nothing is fetched for it.
 * - A workspace reads the requirements of every main module, and then those of each module selected
 *   above the version that a module read so far asks for (readModGraph's workspace loop).
 * - The `go` and `toolchain` requirements the go command adds to its graph name no module a proxy
 *   serves; `go mod download all` leaves them out, and so does this reading.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { compareSemver, parseModFile, supportsGraphPruning, type ModFile, type ModReplace } from '../protocol/index.ts';
import { forEachConcurrently } from './pool.ts';

export type ModuleVersion = { path: string; version: string };

/** A replace directive, with the folder that a local replacement's path is relative to. */
export type Replacement = ModReplace & { baseDir: string };

/** A main module: its go.mod, read, and the folder it is in. */
export type MainModule = { path: string; dir: string; mod: ModFile };

export type ModuleGraphInput = {
  mainModules: MainModule[];
  /** A go.work: every main module is a root. */
  workspace: boolean;
  /** The go.work's replace directives (they win over the main modules'). */
  workReplace: Replacement[];
};

export type ModuleGraphReading = {
  /** What `go mod download all` downloads: the build list after replacement, without main modules and local folders. */
  downloads: ModuleVersion[];
  /** Module versions whose go.mod could not be had or read: the graph below them is missing. */
  failures: Array<{ module: ModuleVersion; error: Error }>;
};

export type GoModFetcher = {
  /** The go.mod of a module version, as the proxy serves it: every go.mod the go command reads is fetched through this, once. */
  fetch(module: ModuleVersion): Promise<Uint8Array>;
  /** go.mod files fetched at once. */
  concurrency: number;
};

type Pruning = 'pruned' | 'unpruned' | 'workspace';
type Summary = { require: ModuleVersion[]; pruning: 'pruned' | 'unpruned' };

const key = (m: ModuleVersion) => `${m.path}@${m.version}`;

/** Reads the module graph of a main module or a workspace, and says what `go mod download all` would fetch. */
export async function readModuleGraph(input: ModuleGraphInput, fetcher: GoModFetcher): Promise<ModuleGraphReading> {
  const reader = new GraphReader(input, fetcher);
  let graph: Graph;
  if (input.workspace) {
    graph = await reader.read('workspace', input.mainModules.map((m) => ({ path: m.path, version: '' })));
  } else {
    const main = input.mainModules[0]!;
    const pruning = supportsGraphPruning(main.mod.go) ? 'pruned' : 'unpruned';
    let roots = reader.withoutExcluded(main.mod.require);
    // A pruned graph keeps one root a path (the highest) and none for the main module itself.
    if (pruning === 'pruned') roots = highestOfEachPath(roots.filter((r) => r.path !== main.path));
    for (;;) {
      graph = await reader.read(pruning, roots);
      // Raising roots changes what an unpruned graph holds in no way: it holds everything already.
      if (pruning === 'unpruned' || reader.failures.size > 0) break;
      const selected = roots.map((r) => ({ path: r.path, version: graph.selected(r.path) }));
      if (selected.every((r, i) => r.version === roots[i]!.version)) break;
      roots = selected;
    }
  }

  const downloads = new Map<string, ModuleVersion>();
  for (const module of graph.buildList()) {
    const replacement = reader.replacementFor(module);
    if (replacement?.newVersion === undefined && replacement !== undefined) continue;
    const actual = replacement ? { path: replacement.newPath, version: replacement.newVersion! } : module;
    downloads.set(key(actual), actual);
  }
  return { downloads: [...downloads.values()], failures: [...reader.failures.values()] };
}

function highestOfEachPath(modules: ModuleVersion[]): ModuleVersion[] {
  const highest = new Map<string, ModuleVersion>();
  for (const m of modules) {
    const known = highest.get(m.path);
    if (!known || compareSemver(m.version, known.version) > 0) highest.set(m.path, m);
  }
  return [...highest.values()];
}

/** Requirements between module versions, and the version minimal version selection picks for each path. */
class Graph {
  private readonly required = new Map<string, ModuleVersion[]>();
  private readonly selectedVersions = new Map<string, string>();
  private readonly mainPaths: Set<string>;

  constructor(mainPaths: Set<string>) {
    this.mainPaths = mainPaths;
  }

  /** Records what m requires (mvs.Graph.Require): every version named counts for selection. */
  require(m: ModuleVersion, requirements: ModuleVersion[]): void {
    this.required.set(key(m), requirements);
    for (const r of requirements) {
      if (this.mainPaths.has(r.path)) continue;
      const known = this.selectedVersions.get(r.path);
      if (known === undefined || compareSemver(r.version, known) > 0) this.selectedVersions.set(r.path, r.version);
    }
  }

  requiredBy(m: ModuleVersion): ModuleVersion[] | undefined {
    return this.required.get(key(m));
  }

  /** The selected version of a path: '' for a main module, 'none' for a path the graph does not hold. */
  selected(modulePath: string): string {
    if (this.mainPaths.has(modulePath)) return '';
    return this.selectedVersions.get(modulePath) ?? 'none';
  }

  /** The selected version of every path but the main modules'. */
  buildList(): ModuleVersion[] {
    return [...this.selectedVersions].map(([p, version]) => ({ path: p, version }));
  }
}

/** cmpVersion of modload: a main module's version ('') is above every other. */
function compareGraphVersions(a: string, b: string): number {
  if (a === b) return 0;
  if (a === '') return 1;
  if (b === '') return -1;
  if (a === 'none') return -1;
  if (b === 'none') return 1;
  return compareSemver(a, b);
}

class GraphReader {
  readonly failures = new Map<string, { module: ModuleVersion; error: Error }>();
  private readonly summaries = new Map<string, Promise<Summary | null>>();
  private readonly excluded = new Set<string>();
  private readonly mainPaths: Set<string>;
  private readonly moduleReplace: Replacement[];

  private readonly input: ModuleGraphInput;
  private readonly fetcher: GoModFetcher;

  constructor(input: ModuleGraphInput, fetcher: GoModFetcher) {
    this.input = input;
    this.fetcher = fetcher;
    this.mainPaths = new Set(input.mainModules.map((m) => m.path));
    for (const main of input.mainModules) for (const e of main.mod.exclude) this.excluded.add(key(e));
    this.moduleReplace = input.mainModules.flatMap((main) => main.mod.replace.map((r) => ({ ...r, baseDir: main.dir })));
  }

  withoutExcluded(requirements: ModuleVersion[]): ModuleVersion[] {
    return requirements.filter((r) => !this.excluded.has(key(r))).map((r) => ({ path: r.path, version: r.version }));
  }

  /** The replacement of a module version: go.work's before the main modules', a version's before a path's. */
  replacementFor(m: ModuleVersion): Replacement | undefined {
    const find = (replaces: Replacement[]) =>
      replaces.find((r) => r.oldPath === m.path && r.oldVersion === m.version) ?? replaces.find((r) => r.oldPath === m.path && r.oldVersion === undefined);
    return find(this.input.workReplace) ?? find(this.moduleReplace);
  }

  /** readModGraph: the graph below the roots, read as `pruning` says. */
  async read(pruning: Pruning, roots: ModuleVersion[]): Promise<Graph> {
    const graph = new Graph(this.mainPaths);
    const main = this.input.mainModules[0]!;
    if (pruning !== 'workspace') graph.require({ path: main.path, version: '' }, roots);
    const enqueued = new Set<string>();
    let level: Array<{ m: ModuleVersion; how: Pruning }> = [];
    const enqueue = (m: ModuleVersion, how: Pruning): void => {
      if (m.version === 'none' || enqueued.has(`${key(m)} ${how}`)) return;
      enqueued.add(`${key(m)} ${how}`);
      level.push({ m, how });
    };
    // A level of the graph at a time, its go.mod files fetched `concurrency` at once.
    const settle = async () => {
      while (level.length > 0) {
        const current = level;
        level = [];
        await forEachConcurrently(current, this.fetcher.concurrency, async ({ m, how }) => {
          const summary = await this.summary(m);
          if (!summary) return;
          if (!graph.requiredBy(m)) graph.require(m, summary.require);
          // Below a module without pruning, everything is read; a pruned module's requirements
          // are read only when it is not itself read as pruned (a workspace's main modules).
          const next = how === 'unpruned' ? 'unpruned' : summary.pruning;
          if (how !== 'pruned' || summary.pruning === 'unpruned') for (const r of summary.require) enqueue(r, next);
        });
      }
    };
    for (const root of roots) enqueue(root, pruning);
    await settle();

    if (pruning === 'workspace') {
      // Modules selected above what a module read asks for are read too, and so on, each at most once.
      const hasDepsInAll = new Set(roots.map((r) => r.path));
      const seen = new Set<string>();
      for (;;) {
        const needed = new Map<string, ModuleVersion>();
        for (const p of hasDepsInAll) {
          const m = { path: p, version: graph.selected(p) };
          if (!seen.has(key(m))) {
            needed.set(key(m), m);
            continue;
          }
          for (const r of graph.requiredBy(m) ?? []) {
            const s = { path: r.path, version: graph.selected(r.path) };
            if (compareGraphVersions(s.version, r.version) > 0 && !seen.has(key(s))) needed.set(key(s), s);
          }
        }
        if (needed.size === 0) break;
        for (const m of needed.values()) {
          enqueue(m, 'workspace');
          seen.add(key(m));
          hasDepsInAll.add(m.path);
        }
        await settle();
      }
    }
    return graph;
  }

  /** goModSummary: a module version's requirements (excluded versions dropped) and whether its go.mod prunes. */
  private summary(m: ModuleVersion): Promise<Summary | null> {
    let summary = this.summaries.get(key(m));
    if (!summary) {
      summary = this.readSummary(m);
      this.summaries.set(key(m), summary);
    }
    return summary;
  }

  private async readSummary(m: ModuleVersion): Promise<Summary | null> {
    const main = m.version === '' ? this.input.mainModules.find((mm) => mm.path === m.path) : undefined;
    if (main) return this.summaryOf(main.mod);
    const replacement = this.replacementFor(m);
    const actual = replacement?.newVersion !== undefined ? { path: replacement.newPath, version: replacement.newVersion } : m;
    try {
      if (replacement && replacement.newVersion === undefined) {
        const file = path.join(path.resolve(replacement.baseDir, replacement.newPath), 'go.mod');
        const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
          throw new Error(`replaced by ${replacement.newPath}: cannot read ${file}: ${err.code ?? err.message}`);
        });
        return this.summaryOf(parseModFile(text, file, { lax: true }));
      }
      const body = await this.fetcher.fetch(actual);
      return this.summaryOf(parseModFile(Buffer.from(body).toString('utf8'), `${key(actual)}/go.mod`, { lax: true }));
    } catch (err) {
      const module = replacement && replacement.newVersion === undefined ? m : actual;
      this.failures.set(key(module), { module, error: err as Error });
      return null;
    }
  }

  private summaryOf(mod: ModFile): Summary {
    return { require: this.withoutExcluded(mod.require), pruning: supportsGraphPruning(mod.go) ? 'pruned' : 'unpruned' };
  }
}
