// Where a cold `go mod download` through the proxy waits, request by request: a share of the real
// corpus (bench/realCorpus.ts) through a new proxy at log level debug, beside the go command
// fetching from the same upstream, and (with --baseline) beside another build of the proxy, so a
// change is measured against the code before it in the same run:
//
//   node bench/coldChain.ts [--every 3] [--rounds 2] [--delay-ms 20] [--baseline DIR]
//
// --every N takes every Nth version of the corpus's sorted list (3: 66 of 197). --baseline DIR is
// another checkout whose bin/gomodproxy.js runs as the baseline side (with the same node flags),
// e.g. the code before a change: `git archive main | tar -x -C DIR` and a node_modules symlink.
// The sides take turns, the order rotating each round; each download goes into a fresh module
// cache, each proxy starts with an empty store. Besides the times, it prints each proxy side's
// mean request time by file and cache outcome (the request log lines) and the mean of each phase
// of a miss (the debug line `fetched from upstream`, proxy/phaseTimer.ts). Not part of run.ts.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeTempDir, removeTempDir } from '../test/fixtures/goCommand.ts';
import { withCleanup, type Cleanup } from './cleanup.ts';
import { timedGoModDownload } from './goDownload.ts';
import { spawnProxyProcess, spawnStaticFileServer } from './processes.ts';
import { realCorpus } from './realCorpus.ts';
import { describeMachine, markdownReport, progress, sideBySide, type BenchResult, type Measurement } from './results.ts';

export type ColdChainOptions = {
  /** Every Nth version of the corpus (default 3). */
  every: number;
  /** Rounds, each one download from each side (default 2). */
  rounds: number;
  /** Milliseconds the upstream holds every answer back (default 20). */
  delayMs: number;
  /** A checkout whose bin/gomodproxy.js is the baseline proxy. */
  baseline?: string;
};

/** What one proxy run's log says: request times by `kind cache`, and phase times of misses by kind. */
type Trace = { requests: Map<string, number[]>; phases: Map<string, Map<string, number[]>> };

type SideReport = { seconds: number[]; traces: Trace[] };

export async function coldChain(options: ColdChainOptions): Promise<{ result: BenchResult; tables: string }> {
  const began = performance.now();
  return withCleanup(async (cleanup) => {
    const corpus = await realCorpus();
    const versions = corpus.moduleVersions.filter((_, i) => i % options.every === 0);
    const upstream = await spawnStaticFileServer(cleanup, corpus.downloadDir, options.delayMs);
    const proxySide = (program?: string) => async (c: Cleanup) => {
      const store = await makeTempDir('gomodproxy-bench-chain-store-');
      c.defer(`remove ${store}`, () => removeTempDir(store));
      const proxy = await spawnProxyProcess(c, { upstream: upstream.url, storagePath: store, logLevel: 'debug', ...(program && { program }) });
      return { goproxy: proxy.url, stop: async () => (await proxy.stop(), await removeTempDir(store)), log: () => proxy.output() };
    };
    const sides: Array<{ name: string; start: (c: Cleanup) => Promise<{ goproxy: string; stop: () => Promise<void>; log?: () => string }> }> = [
      { name: 'direct', start: async () => ({ goproxy: upstream.url, stop: async () => undefined }) },
      { name: 'proxy', start: proxySide() },
    ];
    if (options.baseline) {
      const program = join(options.baseline, 'bin', 'gomodproxy.js');
      if (!existsSync(program)) throw new Error(`--baseline ${options.baseline}: no bin/gomodproxy.js there`);
      sides.push({ name: 'baseline', start: proxySide(program) });
    }
    const reports: Record<string, SideReport> = Object.fromEntries(sides.map((s) => [s.name, { seconds: [], traces: [] }]));
    for (let round = 0; round < options.rounds; round++) {
      for (let i = 0; i < sides.length; i++) {
        const side = sides[(i + round) % sides.length]!;
        const started = await side.start(cleanup);
        try {
          reports[side.name]!.seconds.push(await timedGoModDownload(versions, { goproxy: started.goproxy }));
          if (started.log) reports[side.name]!.traces.push(readTrace(started.log()));
        } finally {
          await started.stop();
        }
      }
      progress(`cold chain: round ${round + 1}/${options.rounds}: ` + sides.map((s) => `${s.name} ${reports[s.name]!.seconds.at(-1)!.toFixed(2)} s`).join(', '));
    }

    const what = `\`go mod download\` of ${versions.length} real versions (one in ${options.every}), cold`;
    const measurements: Measurement[] = [
      sideBySide({ measure: `${what}, proxy vs the go command fetching directly`, unit: 's', baselineName: 'go direct', target: { on: 'ratio', atMost: 1.3 } }, reports['proxy']!.seconds, reports['direct']!.seconds),
    ];
    if (reports['baseline']) {
      measurements.push(
        sideBySide({ measure: `${what}, proxy vs the baseline proxy`, unit: 's', baselineName: 'baseline' }, reports['proxy']!.seconds, reports['baseline'].seconds),
        sideBySide({ measure: `${what}, baseline proxy vs the go command fetching directly`, unit: 's', baselineName: 'go direct' }, reports['baseline'].seconds, reports['direct']!.seconds),
      );
    }
    const rounds = sides.map((s) => `${s.name} ${reports[s.name]!.seconds.map((x) => x.toFixed(1)).join(' / ')} s`).join('; ');
    const result: BenchResult = {
      name: 'coldchain',
      title: 'Cold chain of .info and .mod requests, traced',
      setup:
        `${versions.length} of the ${corpus.moduleVersions.length} versions of bench/corpus/go.mod, served by a node:http static server on 127.0.0.1 with +${options.delayMs} ms per request; ` +
        `${options.rounds} rounds, the order rotating; each proxy new, with an empty store, at log level debug.` +
        (options.baseline ? ` Baseline: ${options.baseline}.` : ''),
      measurements,
      notes: [`Rounds: ${rounds}.`],
      seconds: (performance.now() - began) / 1000,
    };
    const tables = sides
      .filter((s) => reports[s.name]!.traces.length > 0)
      .map((s) => traceTables(s.name, reports[s.name]!.traces))
      .join('\n');
    return { result, tables };
  });
}

/** The request lines and the phase lines of a proxy's debug log. */
function readTrace(log: string): Trace {
  const trace: Trace = { requests: new Map(), phases: new Map() };
  for (const line of log.split('\n')) {
    if (!line.startsWith('{')) continue;
    let entry: { msg?: string; kind?: string; cache?: string; ms?: number; phasesMs?: Record<string, number>; answeredBeforeStore?: boolean };
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    if (!entry.kind) continue;
    if (entry.msg === 'request' && typeof entry.ms === 'number') push(trace.requests, `${entry.kind} ${entry.cache ?? 'none'}`, entry.ms);
    if (entry.msg === 'fetched from upstream' && entry.phasesMs) {
      const kind = entry.answeredBeforeStore ? `${entry.kind} (answered before store)` : entry.kind;
      const byPhase = trace.phases.get(kind) ?? new Map<string, number[]>();
      trace.phases.set(kind, byPhase);
      for (const [phase, ms] of Object.entries(entry.phasesMs)) push(byPhase, phase, ms);
    }
  }
  return trace;
}

function push<K>(map: Map<K, number[]>, key: K, value: number): void {
  const values = map.get(key) ?? [];
  values.push(value);
  map.set(key, values);
}

/** Per round: mean request time by file and outcome, then mean phase times of misses by file. */
function traceTables(side: string, traces: Trace[]): string {
  const mean = (values: number[] | undefined) => (values && values.length > 0 ? (values.reduce((a, b) => a + b, 0) / values.length).toFixed(1) : '');
  const requestKeys = [...new Set(traces.flatMap((t) => [...t.requests.keys()]))].sort();
  const lines = [`### ${side}: mean ms per request (count), by round`, '', `| request | ${traces.map((_, i) => `round ${i + 1}`).join(' | ')} |`, `|---|${traces.map(() => '---:').join('|')}|`];
  for (const key of requestKeys) lines.push(`| ${key} | ${traces.map((t) => (t.requests.has(key) ? `${mean(t.requests.get(key))} (${t.requests.get(key)!.length})` : '')).join(' | ')} |`);
  const kinds = [...new Set(traces.flatMap((t) => [...t.phases.keys()]))].sort();
  const phases = [...new Set(traces.flatMap((t) => [...t.phases.values()].flatMap((byPhase) => [...byPhase.keys()])))];
  lines.push('', `### ${side}: mean ms per miss by phase, by round`, '', `| file | round | misses | ${phases.join(' | ')} |`, `|---|---:|---:|${phases.map(() => '---:').join('|')}|`);
  for (const kind of kinds) {
    traces.forEach((t, i) => {
      const byPhase = t.phases.get(kind);
      if (!byPhase) return;
      const misses = Math.max(...[...byPhase.values()].map((v) => v.length));
      lines.push(`| ${kind} | ${i + 1} | ${misses} | ${phases.map((p) => mean(byPhase.get(p))).join(' | ')} |`);
    });
  }
  return lines.join('\n') + '\n';
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { every: { type: 'string' }, rounds: { type: 'string' }, 'delay-ms': { type: 'string' }, baseline: { type: 'string' } } });
  try {
    const { result, tables } = await coldChain({
      every: Number(values.every ?? 3),
      rounds: Number(values.rounds ?? 2),
      delayMs: Number(values['delay-ms'] ?? 20),
      ...(values.baseline !== undefined && { baseline: values.baseline }),
    });
    process.stdout.write(markdownReport([result], describeMachine()) + '\n' + tables);
  } catch (err) {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  }
}
