// Throughput of cached answers: a cached `.info`, a cached `@v/list` and a cached 1 MiB `.zip`
// under 64 connections, from the proxy, from a plain node:http static file server serving the very
// same files out of the proxy's store (the floor), from the same server answering them from memory
// (no file system on the request path: the ceiling of any server on one Node event loop), and from nginx `proxy_cache` in front of that
// floor, warmed (the peer that checks nothing; left out when nginx is not installed); and from
// Athens (athens.ts) when ATHENS_BIN names one. The proxy runs twice: as `serve` runs it (node
// flags for a small memory footprint, cli/processSettings.ts) and with node's defaults put back by
// the flags the README gives for trading memory for speed (`--max-opt=4 --max-semi-space-size=16`).
//
//   node bench/throughput.ts [--duration 10] [--rounds 3] [--connections 64]
//
// Each round runs each (answer, side) pair for --duration seconds; the side that goes first
// alternates from round to round. Both servers are child processes; autocannon runs here.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon, { type Result } from 'autocannon';
import { request } from 'undici';
import { fileProxyUrl } from '../test/fixtures/goCommand.ts';
import { bigZipModule, escapeCase, largeCorpus, moduleFile, writeModuleTree, type FixtureModule } from '../test/fixtures/moduleTree.ts';
import { locateAthens, spawnAthens } from './athens.ts';
import { withCleanup } from './cleanup.ts';
import { locateNginx, spawnNginxCache } from './nginxCache.ts';
import { httpLoad, percentile, type LoadResult } from './httpLoad.ts';
import { spawnProxyProcess, spawnStaticFileServer } from './processes.ts';
import { median, progress, runStandalone, sideBySide, type BenchResult, type Measurement } from './results.ts';

export type ThroughputOptions = {
  /** Seconds per load run (default 10). */
  duration: number;
  /** Rounds; each runs every answer from both sides (default 3). */
  rounds: number;
  /** Concurrent connections (default 64). */
  connections: number;
};

export const throughputDefaults: ThroughputOptions = { duration: 10, rounds: 3, connections: 64 };

type Side = 'proxy' | 'proxy, node defaults' | 'floor' | 'ceiling' | 'nginx' | 'athens';

/** The README's flags for trading serve's memory settings back for speed. */
const SPEED_FLAGS = ['--max-opt=4', '--max-semi-space-size=16'];
type Answer = { name: string; path: string; bytes: number; client: 'autocannon' | 'undici' };

/** One load run, whichever client made it. */
type RunFigures = { requestsPerSecond: number; megabytesPerSecond: number; p50: number; p99: number; problems: string };

function fromAutocannon(r: Result): RunFigures {
  const problems = r.errors + r.timeouts + r.non2xx > 0 ? `${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx answers` : '';
  return {
    requestsPerSecond: r.requests.total / r.duration,
    megabytesPerSecond: r.throughput.total / r.duration / 1e6,
    p50: r.latency.p50,
    p99: r.latency.p99,
    problems,
  };
}

function fromHttpLoad(r: LoadResult): RunFigures {
  const problems = r.errors + r.non2xx + r.mismatches > 0 ? `${r.errors} errors, ${r.non2xx} non-2xx answers, ${r.mismatches} bodies of the wrong length` : '';
  return {
    requestsPerSecond: r.requests / r.seconds,
    megabytesPerSecond: r.bytes / r.seconds / 1e6,
    p50: percentile(r.latenciesMs, 50),
    p99: percentile(r.latenciesMs, 99),
    problems,
  };
}

function protocolPath(m: FixtureModule, ext: 'info' | 'zip'): string {
  return `/${escapeCase(m.path)}/@v/${escapeCase(m.version)}.${ext}`;
}

const listPath = (m: FixtureModule): string => `/${escapeCase(m.path)}/@v/list`;

async function getBody(url: string): Promise<Buffer> {
  const response = await request(url);
  const body = Buffer.from(await response.body.arrayBuffer());
  if (response.statusCode !== 200) throw new Error(`GET ${url}: ${response.statusCode} ${body.toString('utf8').slice(0, 300)}`);
  return body;
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

export function throughput(options: Partial<ThroughputOptions> = {}): Promise<BenchResult> {
  const { duration, rounds, connections } = { ...throughputDefaults, ...options };
  const began = performance.now();
  return withCleanup(async (cleanup) => {
    const small = largeCorpus(1)[0]!;
    const big = bigZipModule(1 << 20);
    const tree = await cleanup.tempFolder('gomodproxy-bench-tree-');
    await writeModuleTree(tree, [small, big]);
    const zipBytes = await readFile(moduleFile(tree, big, 'zip'));
    const storage = await cleanup.tempFolder('gomodproxy-bench-store-');
    const proxy = await spawnProxyProcess(cleanup, { upstream: fileProxyUrl(tree), storagePath: storage });
    // The same store: the files it serves are the ones the first proxy stored.
    const fastProxy = await spawnProxyProcess(cleanup, { upstream: fileProxyUrl(tree), storagePath: storage, nodeArgs: SPEED_FLAGS });

    const infoBytes = await readFile(moduleFile(tree, small, 'info'));
    const listBytes = await readFile(join(tree, listPath(small)));
    const answers: Answer[] = [
      { name: '.info', path: protocolPath(small, 'info'), bytes: infoBytes.length, client: 'autocannon' },
      { name: '`@v/list`', path: listPath(small), bytes: listBytes.length, client: 'autocannon' },
      { name: `${(zipBytes.length / 2 ** 20).toFixed(2)} MiB .zip`, path: protocolPath(big, 'zip'), bytes: zipBytes.length, client: 'undici' },
    ];
    // The first request fills the proxy's store; the floor then serves the files the proxy stored.
    for (const answer of answers) await getBody(proxy.url + answer.path);
    const floor = await spawnStaticFileServer(cleanup, storage);
    const ceiling = await spawnStaticFileServer(cleanup, storage, 0, true);
    const nginx = locateNginx();
    const notes: string[] = [];
    if ('missing' in nginx) notes.push(`No nginx column: ${nginx.missing}.`);
    const urls: Partial<Record<Side, string>> = {
      proxy: proxy.url,
      'proxy, node defaults': fastProxy.url,
      floor: floor.url,
      ceiling: ceiling.url,
      ...(!('missing' in nginx) && { nginx: (await spawnNginxCache(cleanup, nginx.path, floor.url)).url }),
    };
    const sides: Side[] = (['proxy', 'proxy, node defaults', 'floor', 'ceiling', 'nginx'] as const).filter((side) => urls[side] !== undefined);
    // Every side answers the same bytes (nginx's first request fills its cache from the floor).
    for (const answer of answers) {
      const fromProxy = sha256(await getBody(proxy.url + answer.path));
      for (const side of sides) {
        if (sha256(await getBody(urls[side]! + answer.path)) !== fromProxy) throw new Error(`${answer.path}: the proxy and ${side} answer different bytes`);
      }
    }
    if (sha256(await getBody(proxy.url + answers[2]!.path)) !== sha256(zipBytes)) throw new Error('the proxy serves a zip unlike the upstream one');
    const athens = locateAthens();
    if ('missing' in athens) progress(`throughput: no Athens column: ${athens.missing}`);
    else {
      // Athens fills its storage through its go command from the same tree. The go command rewrites
      // .info and Athens builds the list itself (from `go list -m -versions`, in network mode
      // strict on every request), so only the zip is compared byte for byte.
      const server = await spawnAthens(cleanup, athens.path, fileProxyUrl(tree));
      const info = JSON.parse((await getBody(server.url + answers[0]!.path)).toString('utf8')) as { Version?: string };
      if (info.Version !== small.version) throw new Error(`Athens answers .info for ${info.Version}, not ${small.version}`);
      if (!(await getBody(server.url + answers[1]!.path)).toString('utf8').split('\n').includes(small.version)) throw new Error(`Athens' list lacks ${small.version}`);
      if (sha256(await getBody(server.url + answers[2]!.path)) !== sha256(zipBytes)) throw new Error('Athens serves a zip unlike the upstream one');
      urls.athens = server.url;
      sides.push('athens');
    }

    const load = async (side: Side, answer: Answer, seconds: number): Promise<RunFigures> => {
      const url = urls[side]! + answer.path;
      if (answer.client === 'autocannon') return fromAutocannon(await autocannon({ url, connections, duration: seconds, timeout: 30 }));
      return fromHttpLoad(await httpLoad({ url, connections, seconds, expectedBytes: answer.bytes }));
    };

    progress('throughput: warming the servers');
    for (const answer of answers) for (const side of sides) await load(side, answer, 1);

    const runs = new Map<string, RunFigures[]>();
    for (let round = 0; round < rounds; round++) {
      // The order rotates, so each side goes first in turn.
      const order = sides.map((_, i) => sides[(i + round) % sides.length]!);
      for (const answer of answers) {
        for (const side of order) {
          const result = await load(side, answer, duration);
          const key = `${answer.name} ${side}`;
          runs.set(key, [...(runs.get(key) ?? []), result]);
          progress(
            `throughput: round ${round + 1}/${rounds}: ${key}: ${result.requestsPerSecond.toFixed(0)} req/s, ` +
              `${result.megabytesPerSecond.toFixed(1)} MB/s, p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms`,
          );
          if (result.problems) notes.push(`${key}, round ${round + 1}: ${result.problems}.`);
        }
      }
    }

    const measurements: Measurement[] = [];
    for (const answer of answers) {
      const of = (side: Side, figure: (r: RunFigures) => number): number[] => runs.get(`${answer.name} ${side}`)!.map(figure);
      const figures: Array<{ what: string; unit: string; figure: (r: RunFigures) => number }> = [
        { what: 'requests per second', unit: 'req/s', figure: (r) => r.requestsPerSecond },
        { what: 'throughput', unit: 'MB/s', figure: (r) => r.megabytesPerSecond },
        { what: 'latency p50', unit: 'ms', figure: (r) => r.p50 },
        { what: 'latency p99', unit: 'ms', figure: (r) => r.p99 },
      ];
      for (const { what, unit, figure } of figures) {
        measurements.push(
          sideBySide({ measure: `cached ${answer.name}, ${connections} connections: ${what}`, unit, baselineName: 'node:http static' }, of('proxy', figure), of('floor', figure)),
        );
        measurements.push(
          sideBySide(
            { measure: `cached ${answer.name}, ${connections} connections: ${what}, proxy with node's defaults (${SPEED_FLAGS.join(' ')})`, unit, baselineName: 'proxy as serve runs it' },
            of('proxy, node defaults', figure),
            of('proxy', figure),
          ),
        );
        measurements.push(
          sideBySide({ measure: `cached ${answer.name}, ${connections} connections: ${what}`, unit, baselineName: 'node:http from memory' }, of('proxy', figure), of('ceiling', figure)),
        );
        if (sides.includes('nginx')) {
          measurements.push(
            sideBySide({ measure: `cached ${answer.name}, ${connections} connections: ${what}`, unit, baselineName: 'nginx proxy_cache' }, of('proxy', figure), of('nginx', figure)),
          );
        }
        if (sides.includes('athens')) {
          // The issue's target: at least 1.5 × Athens' requests per second for a cached .info.
          const target = what === 'requests per second' && answer.name === '.info' ? { target: { on: 'ratio' as const, atLeast: 1.5 } } : {};
          measurements.push(
            sideBySide({ measure: `cached ${answer.name}, ${connections} connections: ${what}`, unit, baselineName: 'Athens', ...target }, of('proxy', figure), of('athens', figure)),
          );
          measurements.push(
            sideBySide(
              { measure: `cached ${answer.name}, ${connections} connections: ${what}, proxy with node's defaults (${SPEED_FLAGS.join(' ')})`, unit, baselineName: 'Athens', ...target },
              of('proxy, node defaults', figure),
              of('athens', figure),
            ),
          );
          if (what === 'requests per second') {
            // How near one Node event loop can come to Athens at all: the ceiling side in its place.
            const ceilingRate = median(of('ceiling', figure));
            const athensRate = median(of('athens', figure));
            notes.push(
              `cached ${answer.name}: node:http answering from memory, ${ceilingRate.toFixed(0)} req/s, is ${(ceilingRate / athensRate).toFixed(2)} × Athens' ${athensRate.toFixed(0)} req/s: the most any server on one Node event loop reaches here.`,
            );
          }
        }
      }
    }

    return {
      name: 'throughput',
      title: 'Throughput',
      setup:
        `${connections} connections, ${duration} s per run, median of ${rounds} alternating rounds; load for .info from autocannon, ` +
        `for the zip from a closed loop of undici requests (bench/httpLoad.ts: autocannon decodes every body chunk into a string and tops out near 35 MB/s on binary bodies); ` +
        `proxy (log level warn; once as serve runs it, once with ${SPEED_FLAGS.join(' ')}), floor (node:http + fs.createReadStream of the proxy's stored files) and ceiling (the same node:http server answering each file from memory after its first read) each a child process; ` +
        `nginx ${'missing' in nginx ? '(not installed)' : nginx.version} with proxy_cache in front of the floor, one worker process, warmed; ` +
        ('missing' in athens ? '' : `Athens: ${athens.version} (ATHENS_BIN), disk storage, log level warn, its defaults (30 protocol workers, network mode strict); `) +
        `the load generator runs in the driver process, so all three share the machine's cores.`,
      measurements,
      notes,
      seconds: (performance.now() - began) / 1000,
    };
  });
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { duration: { type: 'string' }, rounds: { type: 'string' }, connections: { type: 'string' } } });
  await runStandalone(() =>
    throughput({
      ...(values.duration !== undefined && { duration: Number(values.duration) }),
      ...(values.rounds !== undefined && { rounds: Number(values.rounds) }),
      ...(values.connections !== undefined && { connections: Number(values.connections) }),
    }),
  );
}
