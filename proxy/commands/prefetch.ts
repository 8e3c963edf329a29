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
import type { ModulePolicy } from '../access/policy.ts';
import { isProxyError } from '../errors.ts';
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
  /** Versions it refuses (policy.deny, policy.allow) are skipped: none of their files is fetched. */
  policy?: ModulePolicy;
};

export type VersionOutcome = { module: string; version: string; result: 'fetched' | 'cached' | 'skipped' | 'failed'; reasons: string[] };

export type PrefetchSummary = {
  versions: number;
  fetched: number;
  cached: number;
  failed: number;
  /** Versions the policy refuses: nothing of them was fetched. */
  skipped: number;
  /** The module versions that failed, with why. */
  failures: Array<{ module: string; version: string; reasons: string[] }>;
  /** The module versions skipped, with the policy's reason. */
  skips: Array<{ module: string; version: string; reason: string }>;
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
  const { modules, progress, policy } = options;
  const concurrency = options.concurrency ?? 16;
  const outcomes = new Map<string, VersionOutcome>();
  const note = (modulePath: string, version: string, report: FetchReport | Error) => {
    const k = key(modulePath, version);
    let outcome = outcomes.get(k);
    if (!outcome) outcomes.set(k, (outcome = { module: modulePath, version, result: 'cached', reasons: [] }));
    if (outcome.result === 'skipped') return;
    if (isProxyError(report) && report.code === 'DENIED_BY_POLICY') {
      // The allow list, as the module service applies it to a query or a list.
      outcomes.set(k, { module: modulePath, version, result: 'skipped', reasons: [report.message] });
    } else if (report instanceof Error) {
      outcome.result = 'failed';
      outcome.reasons.push(report.message);
    } else if (report.cache === 'miss' && outcome.result !== 'failed') {
      outcome.result = 'fetched';
    }
  };

  /** Whether the policy refuses the version; a refused one is noted as skipped, with the reason. */
  const refused = (modulePath: string, version: string): boolean => {
    const refusal = policy?.storeRefusal(modulePath, version);
    if (!refusal) return false;
    outcomes.set(key(modulePath, version), { module: modulePath, version, result: 'skipped', reasons: [refusal.message] });
    return true;
  };

  const wanted = new Map(plan.exact);
  const want = (m: ModuleVersion, kinds: VersionFile[]) => {
    const k = key(m.path, m.version);
    let entry = wanted.get(k);
    if (!entry) wanted.set(k, (entry = { files: new Set(), sums: {} }));
    for (const kind of kinds) entry.files.add(kind);
  };

  const graphs = [...plan.graphs];
  const named = await Promise.all(plan.named.map((m) => resolveNamed(modules, m, note, policy)));
  for (const m of named) {
    if (!m) continue;
    want(m, ['info', 'mod', 'zip']);
    graphs.push(argumentGraph(m));
  }

  // Each graph's go.mod files, read as the go command reads them; then the downloads of its build list.
  let steps = 0;
  const fetchGoMod = async (m: ModuleVersion): Promise<Uint8Array> => {
    progress?.total(++steps);
    // A refused version's go.mod is not fetched, so its requirements are not read either.
    if (refused(m.path, m.version)) {
      progress?.step(`${key(m.path, m.version)} .mod`);
      throw new Error(`${key(m.path, m.version)} is refused by the policy`);
    }
    const ended = progress?.working(`${key(m.path, m.version)} .mod`);
    try {
      const answer = await modules.mod(m.path, m.version);
      if (answer.cache === 'miss') progress?.bytes(answer.body.length);
      note(m.path, m.version, answer);
      return answer.body;
    } finally {
      ended?.();
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
    if (refused(modulePath, version)) {
      progress?.step(`${k} .${kind}`);
      return;
    }
    const ended = progress?.working(`${k} .${kind}`);
    try {
      const { report, bytes } = await fetchFile(modules, modulePath, version, kind, entry.sums);
      if (report.cache === 'miss') progress?.bytes(bytes);
      note(modulePath, version, report);
    } catch (err) {
      note(modulePath, version, err as Error);
    }
    ended?.();
    progress?.step(`${k} .${kind}`);
  });

  const all = [...outcomes.values()];
  const failures = all.filter((o) => o.result === 'failed').map(({ module, version, reasons }) => ({ module, version, reasons }));
  const skips = all.filter((o) => o.result === 'skipped').map(({ module, version, reasons }) => ({ module, version, reason: reasons[0]! }));
  return {
    versions: all.length,
    fetched: all.filter((o) => o.result === 'fetched').length,
    cached: all.filter((o) => o.result === 'cached').length,
    failed: failures.length,
    skipped: skips.length,
    failures,
    skips,
  };
}

/** The graph of a module that requires only the version a module@version argument names. */
function argumentGraph(m: ModuleVersion): ModuleGraphInput {
  const mod: ModFile = { module: ARGUMENT_MODULE_PATH, go: ARGUMENT_MODULE_GO, require: [{ ...m, indirect: false }], exclude: [], replace: [] };
  return { mainModules: [{ path: ARGUMENT_MODULE_PATH, dir: process.cwd(), mod }], workspace: false, workReplace: [] };
}

/**
 * A module@query argument is resolved first (module@latest, a branch from git…). Under a policy,
 * @latest is what the serving proxy answers: the newest listed version it allows.
 */
async function resolveNamed(
  modules: ModuleService,
  m: ModuleVersion,
  note: (modulePath: string, version: string, report: Error) => void,
  policy: ModulePolicy | undefined,
): Promise<ModuleVersion | null> {
  if (isCanonicalVersion(m.version)) return m;
  try {
    if (policy && m.version === 'latest') {
      const listed = (await modules.list(m.path)).body.toString('utf8').split('\n').map((line) => line.trim());
      const best = policy.latestAllowed(m.path, listed);
      if (best) return { path: m.path, version: best };
    }
    const info = JSON.parse((await modules.info(m.path, m.version)).body.toString('utf8')) as { Version: string };
    return { path: m.path, version: info.Version };
  } catch (err) {
    note(m.path, m.version, err as Error);
    return null;
  }
}

/** Fetches one file and checks it against go.sum; returns how it was answered and its size. */
async function fetchFile(
  modules: ModuleService,
  modulePath: string,
  version: string,
  kind: VersionFile,
  sums: Wanted['sums'],
): Promise<{ report: FetchReport; bytes: number }> {
  switch (kind) {
    case 'info': {
      const answer = await modules.info(modulePath, version);
      return { report: answer, bytes: answer.body.length };
    }
    case 'mod': {
      const answer = await modules.mod(modulePath, version);
      const hash = hashGoMod(answer.body);
      if (sums.mod && sums.mod !== hash) throw new Error(`go.sum says ${modulePath} ${version}/go.mod ${sums.mod}, the proxy holds ${hash}`);
      return { report: answer, bytes: answer.body.length };
    }
    case 'zip': {
      const answer = await modules.zip(modulePath, version);
      await answer.object.close();
      if (sums.zip && sums.zip !== answer.hash) throw new Error(`go.sum says ${modulePath} ${version} ${sums.zip}, the proxy holds ${answer.hash}`);
      return { report: answer, bytes: answer.object.size };
    }
  }
}

/** The text summary: counts, then each failure with its reasons. */
export function formatPrefetchSummary(summary: PrefetchSummary): string {
  const skipped = summary.skipped > 0 ? `, ${summary.skipped} skipped by the policy` : '';
  const lines = [`prefetch: ${summary.versions} module versions: ${summary.fetched} fetched, ${summary.cached} already cached${skipped}, ${summary.failed} failed`];
  for (const s of summary.skips) lines.push(`  skipped ${s.module}@${s.version}: ${s.reason}`);
  for (const f of summary.failures) lines.push(`  failed ${f.module}@${f.version}: ${f.reasons.join('; ')}`);
  return lines.join('\n') + '\n';
}
