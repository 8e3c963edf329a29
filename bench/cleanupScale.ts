// Retention at scale: `gomodproxy cleanup --dry-run` over a store of 100,000 module versions (the
// store of bench/startup.ts, generated once), against the floor of any tool that must look at
// every file: `find` listing them with their sizes.
//
//   node bench/cleanupScale.ts [--rounds 3] [--modules 10000] [--versions 10]
//
// Target: the dry run over 100,000 versions within 60 s, and within 3 × find (issue 15). Beside the
// wall time, the CPU time (user + system, from /usr/bin/time when it is installed) of each side:
// on a machine shared with other work, the wall time of a short run is mostly waiting for a core.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { productionCommand } from '../test/e2e/harness.ts';
import { ensureBigStore } from './bigStore.ts';
import { progress, runStandalone, sideBySide, type BenchResult } from './results.ts';

export type CleanupScaleOptions = { rounds: number; modules: number; versions: number };

export const cleanupScaleDefaults: CleanupScaleOptions = { rounds: 3, modules: 10_000, versions: 10 };

const TIME = '/usr/bin/time';

/** Wall time, and CPU time (user + system) where /usr/bin/time can tell it, of one run. */
function timed(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): { seconds: number; cpuSeconds: number | undefined; stdout: string } {
  const cpuFile = join(tmpdir(), `gomodproxy-bench-cpu-${process.pid}`);
  const measured = existsSync(TIME);
  const started = performance.now();
  const result = measured
    ? spawnSync(TIME, ['-f', '%U %S', '-o', cpuFile, command, ...args], { encoding: 'utf8', env, maxBuffer: 1 << 30 })
    : spawnSync(command, args, { encoding: 'utf8', env, maxBuffer: 1 << 30 });
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  let cpuSeconds: number | undefined;
  if (measured) {
    const [user, system] = readFileSync(cpuFile, 'utf8').trim().split(/\s+/).slice(-2).map(Number);
    rmSync(cpuFile, { force: true });
    cpuSeconds = user! + system!;
  }
  return { seconds, cpuSeconds, stdout: result.stdout };
}

export async function cleanupScale(options: Partial<CleanupScaleOptions> = {}): Promise<BenchResult> {
  const { rounds, modules, versions } = { ...cleanupScaleDefaults, ...options };
  const total = modules * versions;
  const began = performance.now();
  const store = join(tmpdir(), `gomodproxy-bench-startup-${total >= 1000 ? `${Math.round(total / 1000)}k` : total}`);
  progress(`cleanup scale: ${store}: ${modules} modules × ${versions} versions`);
  await ensureBigStore(store, { modules, versionsPerModule: versions }, progress);

  const { command, args } = productionCommand();
  const cleanupArgs = [...args, 'cleanup', '--storage-path', store, '--upstream', 'off', '--keep-since', '0s', '--keep-latest', '3', '--dry-run', '--json'];
  const env = { PATH: process.env['PATH'] ?? '', GOMODPROXY_SUMDB: 'off' };
  const cleanupSeconds: number[] = [];
  const findSeconds: number[] = [];
  const cleanupCpu: number[] = [];
  const findCpu: number[] = [];
  let summary = { versions: 0, removed: [] as unknown[] };
  for (let round = 0; round < rounds; round++) {
    const run = timed(command, cleanupArgs, env);
    cleanupSeconds.push(run.seconds);
    if (run.cpuSeconds !== undefined) cleanupCpu.push(run.cpuSeconds);
    summary = JSON.parse(run.stdout) as typeof summary;
    const find = timed('find', [store, '-type', 'f', '-printf', '%s %p\n']);
    findSeconds.push(find.seconds);
    if (find.cpuSeconds !== undefined) findCpu.push(find.cpuSeconds);
    progress(
      `cleanup scale: round ${round + 1}/${rounds}: cleanup --dry-run ${run.seconds.toFixed(1)} s (CPU ${run.cpuSeconds?.toFixed(2) ?? '?'} s), ` +
        `find ${find.seconds.toFixed(1)} s (CPU ${find.cpuSeconds?.toFixed(2) ?? '?'} s)`,
    );
  }
  if (summary.versions !== total) throw new Error(`cleanup saw ${summary.versions} versions, the store holds ${total}`);

  return {
    name: 'cleanupscale',
    title: 'Cleanup at scale',
    setup:
      `\`gomodproxy cleanup --keep-since 0s --keep-latest 3 --dry-run --json\` (the installed command, a child process) over ${total.toLocaleString('en')} versions ` +
      `(${modules.toLocaleString('en')} modules × ${versions}, bench/bigStore.ts) on disk, no download journal; \`--keep-since 0s\`, so that every version but the newest 3 of each module is named; ` +
      `median of ${rounds} rounds; baseline: \`find -type f -printf '%s %p'\` over the same store (a stat of every file, as cleanup needs). ` +
      `The dry run named ${summary.removed.length.toLocaleString('en')} versions it would remove.`,
    measurements: [
      sideBySide(
        { measure: `cleanup --dry-run over ${total.toLocaleString('en')} versions vs find over the same files`, unit: 's', baselineName: 'find', target: { on: 'ratio', atMost: 3 } },
        cleanupSeconds,
        findSeconds,
      ),
      ...(cleanupCpu.length === rounds && findCpu.length === rounds
        ? [
            sideBySide(
              { measure: `the same, CPU time (user + system) of each process`, unit: 's', baselineName: 'find', target: { on: 'ratio', atMost: 3 } },
              cleanupCpu,
              findCpu,
            ),
          ]
        : []),
    ],
    notes: [],
    seconds: (performance.now() - began) / 1000,
  };
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { rounds: { type: 'string' }, modules: { type: 'string' }, versions: { type: 'string' } } });
  await runStandalone(() =>
    cleanupScale({
      ...(values.rounds !== undefined && { rounds: Number(values.rounds) }),
      ...(values.modules !== undefined && { modules: Number(values.modules) }),
      ...(values.versions !== undefined && { versions: Number(values.versions) }),
    }),
  );
}
