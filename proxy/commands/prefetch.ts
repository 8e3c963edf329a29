/**
 * `gomodproxy prefetch`: warms the store with what builds will ask for, through the same module service
 * (and so the same upstreams, private sources and checksum checks) as `serve`.
 *
 * What it fetches:
 * - from a go.sum: exactly its lines — a `<module> <version> h1:` line wants the .info, .mod and
 *   .zip, a `/go.mod` line the .mod — and each fetched hash must equal the line's;
 * - from a go.mod or a go.work: what `go mod download all` fetches with that file (moduleGraph.ts):
 *   the .mod of every module version whose go.mod the go command reads to load the module graph
 *   (pruned as the go lines say, after the main modules' exclude and replace directives), and the
 *   .info, .mod and .zip of the version selected for each module path. Each file is its own graph;
 *   local replacements are read from disk, never fetched;
 * - from module@version (or module@query) arguments: the same for a module that requires only
 *   that version, as `go mod init` and `go get module@version` would leave it, and that version's
 *   .info, .mod and .zip.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ModuleService, FetchReport } from '../moduleService.ts';
import { hashGoMod } from '../modzip/index.ts';
import { checkModulePath, isCanonicalVersion, parseGoSum, parseModFile, parseWorkFile, type ModFile } from '../protocol/index.ts';
import { readModuleGraph, type MainModule, type ModuleGraphInput, type ModuleVersion } from './moduleGraph.ts';
import { forEachConcurrently } from './pool.ts';
import type { Progress } from './progress.ts';

export type PrefetchOptions = {
  modules: ModuleService;
  /** Files fetched at once (default 16). */
  concurrency?: number;
  progress?: Progress;
};

export type VersionOutcome = { module: string; version: string; result: 'fetched' | 'cached' | 'failed'; reasons: string[] };

export type PrefetchSummary = {
  versions: number;
  fetched: number;
  cached: number;
  failed: number;
  /** The module versions that failed, with why. */
  failures: Array<{ module: string; version: string; reasons: string[] }>;
};

type VersionFile = 'info' | 'mod' | 'zip';
type Wanted = { files: Set<VersionFile>; sums: { zip?: string; mod?: string } };

/** What the inputs ask for: exact versions (with go.sum hashes), module graphs, and module@version arguments. */
export type PrefetchPlan = {
  exact: Map<string, Wanted>;
  /** The module graph of each go.mod and go.work. */
  graphs: ModuleGraphInput[];
  /** module@version arguments; a query (latest, a branch) is resolved before its graph is read. */
  named: ModuleVersion[];
};

/**
 * The go line of the module that a module@version argument is read in: a module `go mod init`
 * makes today has one far past 1.17, so its graph is pruned.
 */
const ARGUMENT_MODULE_GO = '1.21';
/** Its module path: it is never fetched, only its requirement is. */
const ARGUMENT_MODULE_PATH = 'gomodproxy.prefetch/argument';

export class PrefetchInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrefetchInputError';
  }
}

const key = (modulePath: string, version: string) => `${modulePath}@${version}`;

/** Reads go.sum, go.mod and go.work files and module@version arguments into a plan. */
export async function planPrefetch(inputs: string[]): Promise<PrefetchPlan> {
  if (inputs.length === 0) throw new PrefetchInputError('nothing to prefetch: give go.mod, go.sum or go.work files, or module@version arguments');
  const plan: PrefetchPlan = { exact: new Map(), graphs: [], named: [] };
  for (const input of inputs) {
    const base = path.basename(input);
    if (base.endsWith('.sum')) addGoSum(plan, input, await readInput(input));
    else if (base === 'go.work') plan.graphs.push(await readGoWork(input));
    else if (base.endsWith('.mod')) plan.graphs.push({ mainModules: [await readMainModule(input)], workspace: false, workReplace: [] });
    else if (input.includes('@')) plan.named.push(parseModuleVersion(input));
    else throw new PrefetchInputError(`${JSON.stringify(input)} is not a go.mod, go.sum or go.work file, nor module@version`);
  }
  return plan;
}

async function readInput(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new PrefetchInputError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function addGoSum(plan: PrefetchPlan, file: string, text: string): void {
  let lines;
  try {
    lines = parseGoSum(text, file);
  } catch (err) {
    throw new PrefetchInputError((err as Error).message);
  }
  for (const line of lines) {
    const wanted = exactEntry(plan, line.path, line.version);
    if (line.goMod) {
      wanted.files.add('mod');
      wanted.sums.mod = line.hash;
    } else {
      for (const kind of ['info', 'mod', 'zip'] as const) wanted.files.add(kind);
      wanted.sums.zip = line.hash;
    }
  }
}

async function readMainModule(file: string): Promise<MainModule> {
  let mod: ModFile;
  try {
    mod = parseModFile(await readInput(file), file);
  } catch (err) {
    throw err instanceof PrefetchInputError ? err : new PrefetchInputError((err as Error).message);
  }
  if (mod.module === undefined) throw new PrefetchInputError(`${file}: no module line; a go.mod starts with "module <path>"`);
  return { path: mod.module, dir: path.dirname(path.resolve(file)), mod };
}

async function readGoWork(file: string): Promise<ModuleGraphInput> {
  let work;
  try {
    work = parseWorkFile(await readInput(file), file);
  } catch (err) {
    throw err instanceof PrefetchInputError ? err : new PrefetchInputError((err as Error).message);
  }
  const dir = path.dirname(path.resolve(file));
  const mainModules = await Promise.all(work.use.map((use) => readMainModule(path.join(dir, use, 'go.mod'))));
  return { mainModules, workspace: true, workReplace: work.replace.map((r) => ({ ...r, baseDir: dir })) };
}

function parseModuleVersion(arg: string): { path: string; version: string } {
  const at = arg.lastIndexOf('@');
  const modulePath = arg.slice(0, at);
  const version = arg.slice(at + 1);
  try {
    checkModulePath(modulePath);
  } catch (err) {
    throw new PrefetchInputError(`${arg}: ${(err as Error).message}`);
  }
  if (!version) throw new PrefetchInputError(`${arg}: no version after "@"`);
  return { path: modulePath, version };
}

function exactEntry(plan: PrefetchPlan, modulePath: string, version: string): Wanted {
  const k = key(modulePath, version);
  let wanted = plan.exact.get(k);
  if (!wanted) plan.exact.set(k, (wanted = { files: new Set(), sums: {} }));
  return wanted;
}

/** Fetches what the plan asks for; never throws for a module that fails: it is in the summary. */
export async function prefetch(plan: PrefetchPlan, options: PrefetchOptions): Promise<PrefetchSummary> {
  const { modules, progress } = options;
  const concurrency = options.concurrency ?? 16;
  const outcomes = new Map<string, VersionOutcome>();
  const note = (modulePath: string, version: string, report: FetchReport | Error) => {
    const k = key(modulePath, version);
    let outcome = outcomes.get(k);
    if (!outcome) outcomes.set(k, (outcome = { module: modulePath, version, result: 'cached', reasons: [] }));
    if (report instanceof Error) {
      outcome.result = 'failed';
      outcome.reasons.push(report.message);
    } else if (report.cache === 'miss' && outcome.result !== 'failed') {
      outcome.result = 'fetched';
    }
  };

  const wanted = new Map(plan.exact);
  const want = (m: ModuleVersion, kinds: VersionFile[]) => {
    const k = key(m.path, m.version);
    let entry = wanted.get(k);
    if (!entry) wanted.set(k, (entry = { files: new Set(), sums: {} }));
    for (const kind of kinds) entry.files.add(kind);
  };

  const graphs = [...plan.graphs];
  const named = await Promise.all(plan.named.map((m) => resolveNamed(modules, m, note)));
  for (const m of named) {
    if (!m) continue;
    want(m, ['info', 'mod', 'zip']);
    graphs.push(argumentGraph(m));
  }

  // Each graph's go.mod files, read as the go command reads them; then the downloads of its build list.
  let steps = 0;
  const fetchGoMod = async (m: ModuleVersion): Promise<Uint8Array> => {
    progress?.total(++steps);
    try {
      const answer = await modules.mod(m.path, m.version);
      note(m.path, m.version, answer);
      return answer.body;
    } finally {
      progress?.step(`${key(m.path, m.version)} .mod`);
    }
  };
  for (const graph of graphs) {
    const reading = await readModuleGraph(graph, { fetch: fetchGoMod, concurrency });
    for (const failure of reading.failures) note(failure.module.path, failure.module.version, failure.error);
    for (const m of reading.downloads) want(m, ['info', 'mod', 'zip']);
  }

  const jobs = [...wanted].flatMap(([k, entry]) => [...entry.files].map((kind) => ({ k, kind, entry })));
  progress?.total(steps + jobs.length);
  await forEachConcurrently(jobs, concurrency, async ({ k, kind, entry }) => {
    const at = k.lastIndexOf('@');
    const modulePath = k.slice(0, at);
    const version = k.slice(at + 1);
    try {
      note(modulePath, version, await fetchFile(modules, modulePath, version, kind, entry.sums));
    } catch (err) {
      note(modulePath, version, err as Error);
    }
    progress?.step(`${k} .${kind}`);
  });

  const all = [...outcomes.values()];
  const failures = all.filter((o) => o.result === 'failed').map(({ module, version, reasons }) => ({ module, version, reasons }));
  return {
    versions: all.length,
    fetched: all.filter((o) => o.result === 'fetched').length,
    cached: all.filter((o) => o.result === 'cached').length,
    failed: failures.length,
    failures,
  };
}

/** The graph of a module that requires only the version a module@version argument names. */
function argumentGraph(m: ModuleVersion): ModuleGraphInput {
  const mod: ModFile = { module: ARGUMENT_MODULE_PATH, go: ARGUMENT_MODULE_GO, require: [{ ...m, indirect: false }], exclude: [], replace: [] };
  return { mainModules: [{ path: ARGUMENT_MODULE_PATH, dir: process.cwd(), mod }], workspace: false, workReplace: [] };
}

/** A module@query argument is resolved first (module@latest, a branch from git…). */
async function resolveNamed(modules: ModuleService, m: ModuleVersion, note: (modulePath: string, version: string, report: Error) => void): Promise<ModuleVersion | null> {
  if (isCanonicalVersion(m.version)) return m;
  try {
    const info = JSON.parse((await modules.info(m.path, m.version)).body.toString('utf8')) as { Version: string };
    return { path: m.path, version: info.Version };
  } catch (err) {
    note(m.path, m.version, err as Error);
    return null;
  }
}

async function fetchFile(modules: ModuleService, modulePath: string, version: string, kind: VersionFile, sums: Wanted['sums']): Promise<FetchReport> {
  switch (kind) {
    case 'info':
      return modules.info(modulePath, version);
    case 'mod': {
      const answer = await modules.mod(modulePath, version);
      const hash = hashGoMod(answer.body);
      if (sums.mod && sums.mod !== hash) throw new Error(`go.sum says ${modulePath} ${version}/go.mod ${sums.mod}, the proxy holds ${hash}`);
      return answer;
    }
    case 'zip': {
      const answer = await modules.zip(modulePath, version);
      await answer.object.close();
      if (sums.zip && sums.zip !== answer.hash) throw new Error(`go.sum says ${modulePath} ${version} ${sums.zip}, the proxy holds ${answer.hash}`);
      return answer;
    }
  }
}

/** The text summary: counts, then each failure with its reasons. */
export function formatPrefetchSummary(summary: PrefetchSummary): string {
  const lines = [`prefetch: ${summary.versions} module versions: ${summary.fetched} fetched, ${summary.cached} already cached, ${summary.failed} failed`];
  for (const f of summary.failures) lines.push(`  failed ${f.module}@${f.version}: ${f.reasons.join('; ')}`);
  return lines.join('\n') + '\n';
}
