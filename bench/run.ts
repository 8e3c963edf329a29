// Runs the benchmarks in sequence, prints one Markdown table of the figures, and records them in
// bench/results/latest.json (the record of the last run, committed with the code it measured).
//
//   node bench/run.ts                      all of them: warm cold bigcheck throughput memory startup private coldverify auth cleanupscale audit vulnpolicy webpage vulndbrefresh
//   node bench/run.ts warm memory          a subset, in the order given
//   node bench/run.ts --quick              a fast smoke run with small sizes; nothing is recorded
//
// Recording a subset replaces only those benchmarks' entries in latest.json; each entry carries
// the machine and the time it was measured.

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { authDownload } from './authDownload.ts';
import { auditOverhead } from './auditOverhead.ts';
import { cleanupScale } from './cleanupScale.ts';
import { coldDownload } from './coldDownload.ts';
import { coldVerify } from './coldVerify.ts';
import { largeZipCheck } from './largeZipCheck.ts';
import { memory } from './memory.ts';
import { privateDownload } from './privateDownload.ts';
import { describeMachine, markdownReport, timestamp, type BenchResult, type MachineDescription } from './results.ts';
import { startup } from './startup.ts';
import { throughput } from './throughput.ts';
import { vulnPolicy } from './vulnPolicy.ts';
import { vulndbRefresh } from './vulndbRefresh.ts';
import { warmDownload } from './warmDownload.ts';
import { webPage } from './webPage.ts';

type Benchmark = { run: () => Promise<BenchResult>; quick: () => Promise<BenchResult> };

const BENCHMARKS: Record<string, Benchmark> = {
  warm: { run: () => warmDownload(), quick: () => warmDownload({ rounds: 1, versions: 40 }) },
  cold: { run: () => coldDownload(), quick: () => coldDownload({ rounds: 1, warmRounds: 1 }) },
  bigcheck: { run: () => largeZipCheck(), quick: () => largeZipCheck({ rounds: 1, megabytes: 10, files: 2000 }) },
  throughput: { run: () => throughput(), quick: () => throughput({ duration: 1, rounds: 1 }) },
  memory: { run: () => memory(), quick: () => memory({ clients: 16, megabytes: 10 }) },
  startup: { run: () => startup(), quick: () => startup({ rounds: 1, modules: 100, requests: 50 }) },
  private: { run: () => privateDownload(), quick: () => privateDownload({ rounds: 1 }) },
  coldverify: { run: () => coldVerify(), quick: () => coldVerify({ rounds: 1, versions: 40, log: 1000 }) },
  auth: { run: () => authDownload(), quick: () => authDownload({ rounds: 1, versions: 40 }) },
  cleanupscale: { run: () => cleanupScale(), quick: () => cleanupScale({ rounds: 1, modules: 100, versions: 10 }) },
  audit: { run: () => auditOverhead(), quick: () => auditOverhead({ rounds: 1, versions: 40 }) },
  vulnpolicy: { run: () => vulnPolicy(), quick: () => vulnPolicy({ rounds: 1, versions: 40 }) },
  webpage: { run: () => webPage(), quick: () => webPage({ requests: 20, modules: 100, versions: 10 }) },
  vulndbrefresh: { run: () => vulndbRefresh(), quick: () => vulndbRefresh({ rounds: 1, modules: 50, entries: 60 }) },
};

export type RecordedResult = BenchResult & { machine: MachineDescription };
export type ResultsFile = { note: string; results: RecordedResult[] };

const resultsFile = join(import.meta.dirname, 'results', 'latest.json');

async function record(results: RecordedResult[]): Promise<void> {
  let previous: RecordedResult[] = [];
  try {
    previous = (JSON.parse(await readFile(resultsFile, 'utf8')) as ResultsFile).results;
  } catch {
    // No record yet.
  }
  const byName = new Map(previous.map((r) => [r.name, r]));
  for (const result of results) byName.set(result.name, result);
  const ordered = Object.keys(BENCHMARKS).flatMap((name) => byName.get(name) ?? []);
  const file: ResultsFile = { note: 'Written by `npm run bench` (bench/run.ts); see bench/README.md.', results: ordered };
  await mkdir(join(import.meta.dirname, 'results'), { recursive: true });
  await writeFile(resultsFile, JSON.stringify(file, null, 2) + '\n');
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { quick: { type: 'boolean', default: false } } });
  const names = positionals.length > 0 ? positionals : Object.keys(BENCHMARKS);
  const unknown = names.filter((name) => !(name in BENCHMARKS));
  if (unknown.length > 0) {
    process.stderr.write(`unknown benchmark ${unknown.join(', ')}: choose from ${Object.keys(BENCHMARKS).join(', ')}\n`);
    process.exitCode = 2;
    return;
  }

  const machine = describeMachine();
  const results: RecordedResult[] = [];
  const failures: string[] = [];
  for (const name of names) {
    process.stderr.write(`bench ${name}${values.quick ? ' (quick)' : ''}\n`);
    const benchmark = BENCHMARKS[name]!;
    try {
      const result = await (values.quick ? benchmark.quick() : benchmark.run());
      results.push({ ...result, machine: { ...machine, date: timestamp() } });
    } catch (err) {
      failures.push(name);
      process.stderr.write(`bench ${name} could not run: ${(err as Error).stack ?? String(err)}\n`);
    }
  }

  process.stdout.write(markdownReport(results, machine));
  if (!values.quick && results.length > 0) {
    await record(results);
    process.stderr.write(`recorded in ${resultsFile}\n`);
  }
  if (failures.length > 0) {
    process.stderr.write(`could not run: ${failures.join(', ')}\n`);
    process.exitCode = 1;
  }
}

await main();
