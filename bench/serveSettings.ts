// What each of serve's process settings (cli/processSettings.ts: node flags and C allocator
// variables) does to memory and speed: `serve` started with node's defaults, with each setting
// alone, with all of them (what bin/gomodproxy.js runs serve with) and with any candidate given by
// --variant, each measured for
//   - the time from spawn to ready (GET /readyz answers 200);
//   - RSS at rest one second after start-up, and its anonymous and file-backed parts;
//   - requests/s of a cached `.info` (autocannon) and MB/s of a cached 1 MiB `.zip` (bench/httpLoad.ts)
//     under --connections connections for --seconds each, and the proxy's CPU time (user + system)
//     per request and per MB: the rates depend on what else the machine runs, the CPU much less;
//   - the peak RSS (VmHWM) while --clients clients download a cached --megabytes MiB zip at once;
//   - RSS at rest one second after those loads (code compiled under load stays).
//
//   node bench/serveSettings.ts [--compiled DIR] [--rounds 3] [--seconds 5] [--connections 64]
//                               [--clients 64] [--megabytes 20] [--variant serve,--v8-pool-size=1 ...]
//
// A variant is a comma-separated list of node flags (--…) and environment variables (NAME=value);
// `serve` in it stands for all of serve's settings, and what follows it replaces a setting of the
// same name (`serve,--max-opt=3`). Every variant runs `node FLAGS cli/main.ts serve` (dist/main.js)
// directly (not the bin, which would add the settings it lacks), with the same compile cache
// folder. --compiled DIR runs the program as the image does (see bench/memory.ts for DIR). The
// variants take turns round by round, each in a fresh process; the table gives medians. Standalone,
// not part of run.ts: figures for choosing the settings, kept in bench/README.md.

import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { processSettingsFor, type ProcessSettings } from '../cli/processSettings.ts';
import { fileProxyUrl } from '../test/fixtures/goCommand.ts';
import { bigZipModule, escapeCase, largeCorpus, moduleFile, writeModuleTree } from '../test/fixtures/moduleTree.ts';
import { withCleanup } from './cleanup.ts';
import { httpLoad } from './httpLoad.ts';
import { downloadAll, fileSha256, measurePeak } from './memory.ts';
import { repositoryRoot, sleep, spawnProxyProcess } from './processes.ts';
import { median, progress } from './results.ts';

type Variant = { name: string } & ProcessSettings;
type Figures = { readyMs: number; rss: number; anon: number; file: number; infoPerSecond: number; infoCpuUs: number; zipMBps: number; zipCpuMsPerMB: number; peak: number; after: number };

const MiB = 2 ** 20;

/** CPU seconds (user + system) the process used so far, from /proc/<pid>/stat (clock ticks of 10 ms). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function statusMiB(pid: number, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`/proc/${pid}/status has no ${field}`);
  return Number(match[1]) / 1024;
}

/** node's defaults, each of serve's settings alone, all of them, then the candidates given. */
function variantsOf(candidates: string[]): Variant[] {
  const serve = processSettingsFor(['node', 'gomodproxy', 'serve'], process.platform);
  const variants: Variant[] = [{ name: "node's defaults", nodeFlags: [], environment: {} }];
  for (const flag of serve.nodeFlags) variants.push({ name: flag, nodeFlags: [flag], environment: {} });
  for (const [name, value] of Object.entries(serve.environment)) variants.push({ name: `${name}=${value}`, nodeFlags: [], environment: { [name]: value } });
  variants.push({ name: "serve's settings (all of the above)", ...serve });
  for (const candidate of candidates) {
    const variant: Variant = { name: candidate, nodeFlags: [], environment: {} };
    for (const token of candidate.split(',').filter(Boolean)) {
      if (token === 'serve') {
        variant.nodeFlags.push(...serve.nodeFlags);
        Object.assign(variant.environment, serve.environment);
      } else if (token.startsWith('--')) {
        // A flag of serve's given again replaces it: `serve,--max-opt=3` is serve with TurboFan.
        const name = token.split('=')[0];
        variant.nodeFlags = [...variant.nodeFlags.filter((flag) => flag.split('=')[0] !== name), token];
      }
      else if (/^[A-Z_][A-Z0-9_]*=/.test(token)) variant.environment[token.slice(0, token.indexOf('='))] = token.slice(token.indexOf('=') + 1);
      else throw new Error(`--variant ${candidate}: ${token} is neither a node flag (--…) nor NAME=value`);
    }
    variants.push(variant);
  }
  return variants;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      compiled: { type: 'string' },
      rounds: { type: 'string' },
      seconds: { type: 'string' },
      connections: { type: 'string' },
      clients: { type: 'string' },
      megabytes: { type: 'string' },
      variant: { type: 'string', multiple: true },
    },
  });
  const rounds = Number(values.rounds ?? 3);
  const seconds = Number(values.seconds ?? 5);
  const connections = Number(values.connections ?? 64);
  const clients = Number(values.clients ?? 64);
  const megabytes = Number(values.megabytes ?? 20);
  const program = values.compiled === undefined ? join(repositoryRoot, 'cli', 'main.ts') : join(values.compiled, 'dist', 'main.js');
  const variants = variantsOf(values.variant ?? []);

  await withCleanup(async (cleanup) => {
    const small = largeCorpus(1)[0]!;
    const zip = bigZipModule(1 << 20);
    const big = { ...bigZipModule(megabytes * MiB), version: 'v1.1.0' };
    const tree = await cleanup.tempFolder('gomodproxy-bench-tree-');
    await writeModuleTree(tree, [small, zip, big]);
    const storage = await cleanup.tempFolder('gomodproxy-bench-store-');
    const compileCache = await cleanup.tempFolder('gomodproxy-bench-compile-cache-');
    const path = (m: typeof small, ext: string) => `/${escapeCase(m.path)}/@v/${escapeCase(m.version)}.${ext}`;
    const zipBytes = (await readFile(moduleFile(tree, zip, 'zip'))).length;
    const bigSha256 = await fileSha256(moduleFile(tree, big, 'zip'));

    const start = (variant: Variant) =>
      spawnProxyProcess(cleanup, {
        upstream: fileProxyUrl(tree),
        storagePath: storage,
        program,
        nodeArgs: variant.nodeFlags,
        env: { NODE_COMPILE_CACHE: compileCache, ...variant.environment },
      });

    // Fills the store and the compile cache, so that every measured start finds both.
    const first = await start(variants[0]!);
    for (const m of [small, zip, big]) await downloadAll(first.url + path(m, 'zip'), 1, m === big ? bigSha256 : await fileSha256(moduleFile(tree, m, 'zip')));
    await first.stop();

    const figures = new Map<string, Figures[]>();
    for (let round = 0; round < rounds; round++) {
      const order = variants.map((_, i) => variants[(i + round) % variants.length]!);
      for (const variant of order) {
        const proxy = await start(variant);
        await sleep(1_000);
        const rest = { rss: statusMiB(proxy.pid, 'VmRSS'), anon: statusMiB(proxy.pid, 'RssAnon'), file: statusMiB(proxy.pid, 'RssFile') };
        const cpuBefore = cpuSeconds(proxy.pid);
        const info = await autocannon({ url: proxy.url + path(small, 'info'), connections, duration: seconds, timeout: 30 });
        const cpuBetween = cpuSeconds(proxy.pid);
        const zipLoad = await httpLoad({ url: proxy.url + path(zip, 'zip'), connections, seconds, expectedBytes: zipBytes });
        const cpuAfter = cpuSeconds(proxy.pid);
        if (info.non2xx + info.errors + zipLoad.non2xx + zipLoad.errors + zipLoad.mismatches > 0) throw new Error(`${variant.name}: failed requests under load`);
        const peak = await measurePeak(proxy.pid, () => downloadAll(proxy.url + path(big, 'zip'), clients, bigSha256));
        await sleep(1_000);
        const after = statusMiB(proxy.pid, 'VmRSS');
        await proxy.stop();
        const result: Figures = { readyMs: proxy.readyMs, ...rest, infoPerSecond: info.requests.total / info.duration, infoCpuUs: ((cpuBetween - cpuBefore) / info.requests.total) * 1e6,
          zipMBps: zipLoad.bytes / zipLoad.seconds / 1e6, zipCpuMsPerMB: ((cpuAfter - cpuBetween) / (zipLoad.bytes / 1e6)) * 1e3, peak: peak.peakRss / MiB, after };
        figures.set(variant.name, [...(figures.get(variant.name) ?? []), result]);
        progress(`serveSettings: round ${round + 1}/${rounds}: ${variant.name}: ${JSON.stringify(Object.fromEntries(Object.entries(result).map(([k, v]) => [k, Number(v.toFixed(1))])))}`);
      }
    }

    console.log(
      `\n${values.compiled === undefined ? "The checkout's TypeScript" : 'The bundle (as the image runs it)'}; median of ${rounds} rounds; ` +
        `.info and 1 MiB .zip: ${connections} connections for ${seconds} s; peak: ${clients} clients on a cached ${megabytes} MiB zip.\n`,
    );
    console.log(`| settings | ready | RSS at rest | anonymous | file-backed | cached .info req/s | CPU µs per .info | cached 1 MiB .zip MB/s | CPU ms per zip MB | peak RSS, ${clients} clients | RSS at rest after the loads |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|`);
    for (const variant of variants) {
      const runs = figures.get(variant.name)!;
      const of = (field: keyof Figures, digits = 1) => median(runs.map((r) => r[field])).toFixed(digits);
      console.log(`| ${variant.name} | ${of('readyMs', 0)} ms | ${of('rss')} MiB | ${of('anon')} | ${of('file')} | ${of('infoPerSecond', 0)} | ${of('infoCpuUs', 0)} | ${of('zipMBps', 0)} | ${of('zipCpuMsPerMB', 2)} | ${of('peak')} MiB | ${of('after')} MiB |`);
    }
  });
}

await main();
