/**
 * `gomodproxy prefetch`: warms the store with what builds will ask for, through the same module service
 * (and so the same upstreams, private sources and checksum checks) as `serve`.
 *
 * What it fetches:
 * - from a go.sum: exactly its lines — a `<module> <version> h1:` line wants the .info, .mod and
 *   .zip, a `/go.mod` line the .mod — and each fetched hash must equal the line's;
 * - from a go.mod, a go.work (its `use` folders' go.mod files) or `module@version` arguments: the
 *   full module graph, as minimal version selection walks it: the .mod of every module version
 *   reachable through require (after the main modules' replace and exclude), and the .info and
 *   .zip of the version selected for each module path (the highest one reached), and of every
 *   version named as an argument. Local replacements are skipped: they are not modules a proxy
 *   serves.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ModulePolicy } from '../access/policy.ts';
import { isProxyError } from '../errors.ts';
import type { ModuleService, FetchReport } from '../moduleService.ts';
import { hashGoMod } from '../modzip/index.ts';
import {
  checkModulePath,
  compareSemver,
  isCanonicalVersion,
  parseGoSum,
  parseModFile,
  parseWorkFile,
  type ModReplace,
} from '../protocol/index.ts';
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

/** What the inputs ask for: exact versions (with go.sum hashes) and roots of module graphs. */
export type PrefetchPlan = {
  exact: Map<string, Wanted>;
  /** Roots of module graphs; `named` ones were asked for by module@version and get their zip too. */
  roots: Array<{ path: string; version: string; named?: boolean }>;
  replace: ModReplace[];
  exclude: Set<string>;
};

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
  const plan: PrefetchPlan = { exact: new Map(), roots: [], replace: [], exclude: new Set() };
  for (const input of inputs) {
    const base = path.basename(input);
    if (base.endsWith('.sum')) addGoSum(plan, input, await readInput(input));
    else if (base === 'go.work') await addGoWork(plan, input);
    else if (base.endsWith('.mod')) addGoMod(plan, input, await readInput(input));
    else if (input.includes('@')) plan.roots.push({ ...parseModuleVersion(input), named: true });
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

function addGoMod(plan: PrefetchPlan, file: string, text: string): void {
  let mod;
  try {
    mod = parseModFile(text, file);
  } catch (err) {
    throw new PrefetchInputError((err as Error).message);
  }
  plan.replace.push(...mod.replace);
  for (const e of mod.exclude) plan.exclude.add(key(e.path, e.version));
  for (const r of mod.require) plan.roots.push({ path: r.path, version: r.version });
}

async function addGoWork(plan: PrefetchPlan, file: string): Promise<void> {
  let work;
  try {
    work = parseWorkFile(await readInput(file), file);
  } catch (err) {
    throw err instanceof PrefetchInputError ? err : new PrefetchInputError((err as Error).message);
  }
  plan.replace.push(...work.replace);
  for (const use of work.use) {
    const goMod = path.join(path.dirname(file), use, 'go.mod');
    addGoMod(plan, goMod, await readInput(goMod));
  }
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
  const want = (modulePath: string, version: string, kinds: VersionFile[]) => {
    const k = key(modulePath, version);
    let entry = wanted.get(k);
    if (!entry) wanted.set(k, (entry = { files: new Set(), sums: {} }));
    for (const kind of kinds) entry.files.add(kind);
  };

  // The module graph, breadth first, a level at a time: each level's .mod files at once.
  const seen = new Set<string>();
  const selected = new Map<string, string>();
  let level: Array<{ path: string; version: string }> = [];
  const reach = (node: { path: string; version: string }) => {
    const target = replaced(plan.replace, node);
    if (!target || plan.exclude.has(key(node.path, node.version))) return;
    const k = key(target.path, target.version);
    if (seen.has(k)) return;
    seen.add(k);
    level.push(target);
  };
  const roots = await Promise.all(plan.roots.map((root) => resolveRoot(modules, root, note, policy)));
  roots.forEach((root, i) => {
    if (!root) return;
    reach(root);
    if (plan.roots[i]!.named) want(root.path, root.version, ['info', 'mod', 'zip']);
  });
  while (level.length > 0) {
    const current = level;
    level = [];
    progress?.total(seen.size + wanted.size);
    await forEachConcurrently(current, concurrency, async (node) => {
      const best = selected.get(node.path);
      if (!best || compareSemver(node.version, best) > 0) selected.set(node.path, node.version);
      // A refused version's go.mod is not fetched, so its requirements are not walked either.
      if (refused(node.path, node.version)) {
        progress?.step(key(node.path, node.version));
        return;
      }
      const ended = progress?.working(`${key(node.path, node.version)} .mod`);
      try {
        const answer = await modules.mod(node.path, node.version);
        if (answer.cache === 'miss') progress?.bytes(answer.body.length);
        note(node.path, node.version, answer);
        for (const r of parseModFile(answer.body.toString('utf8'), `${node.path}@${node.version}/go.mod`).require) reach(r);
      } catch (err) {
        note(node.path, node.version, err as Error);
      }
      ended?.();
      progress?.step(key(node.path, node.version));
    });
  }
  for (const [modulePath, version] of selected) want(modulePath, version, ['info', 'zip']);

  const jobs = [...wanted].flatMap(([k, entry]) => [...entry.files].map((kind) => ({ k, kind, entry })));
  progress?.total(seen.size + jobs.length);
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

/**
 * A root given as module@query is resolved first (module@latest, a branch from git…). Under a
 * policy, @latest is what the serving proxy answers: the newest listed version it allows.
 */
async function resolveRoot(
  modules: ModuleService,
  root: { path: string; version: string },
  note: (modulePath: string, version: string, report: Error) => void,
  policy: ModulePolicy | undefined,
): Promise<{ path: string; version: string } | null> {
  if (isCanonicalVersion(root.version)) return root;
  try {
    if (policy && root.version === 'latest') {
      const listed = (await modules.list(root.path)).body.toString('utf8').split('\n').map((line) => line.trim());
      const best = policy.latestAllowed(root.path, listed);
      if (best) return { path: root.path, version: best };
    }
    const info = JSON.parse((await modules.info(root.path, root.version)).body.toString('utf8')) as { Version: string };
    return { path: root.path, version: info.Version };
  } catch (err) {
    note(root.path, root.version, err as Error);
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

/** The main modules' replace directives: a version-specific one wins over a path-wide one. */
function replaced(replaces: ModReplace[], node: { path: string; version: string }): { path: string; version: string } | null {
  const match =
    replaces.find((r) => r.oldPath === node.path && r.oldVersion === node.version) ??
    replaces.find((r) => r.oldPath === node.path && r.oldVersion === undefined);
  if (!match) return node;
  if (match.newVersion === undefined) return null; // a local folder
  return { path: match.newPath, version: match.newVersion };
}

/** The text summary: counts, then each failure with its reasons. */
export function formatPrefetchSummary(summary: PrefetchSummary): string {
  const skipped = summary.skipped > 0 ? `, ${summary.skipped} skipped by the policy` : '';
  const lines = [`prefetch: ${summary.versions} module versions: ${summary.fetched} fetched, ${summary.cached} already cached${skipped}, ${summary.failed} failed`];
  for (const s of summary.skips) lines.push(`  skipped ${s.module}@${s.version}: ${s.reason}`);
  for (const f of summary.failures) lines.push(`  failed ${f.module}@${f.version}: ${f.reasons.join('; ')}`);
  return lines.join('\n') + '\n';
}
