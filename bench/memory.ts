// Peak memory of the proxy process while 64 clients download a 50 MiB zip at once: idle, cold (all
// 64 arrive while the zip is not cached: one upstream fetch, 63 waiters) and warm (served from
// storage; once in the process that served the cold phase, once in a fresh one). Each client reads
// the whole body and checks its sha256.
//
//   node bench/memory.ts [--clients 64] [--megabytes 50] [--node-arg=--max-semi-space-size=4 ...]
//                        [--compiled DIR | --checkout] [--env NAME=VALUE ...] [--trace]
//
// The proxy runs as the image runs it, bundled into JavaScript: the benchmark builds the bundle
// into a temporary folder first (scripts/buildProgram.ts), or runs the one in --compiled DIR (what
// `node scripts/buildProgram.ts DIR` wrote). --checkout runs the checkout's TypeScript by type
// stripping instead, which costs about 30 MiB more (bench/README.md).
//
// The proxy is a child process; its VmRSS and VmHWM are read from /proc/<pid>/status every 20 ms,
// and VmHWM (the kernel's own peak) is reset before each phase through /proc/<pid>/clear_refs. As a
// side-by-side floor, the same warm load is served by a plain node:http static file server.
// When ATHENS_BIN names an Athens binary (athens.ts), Athens takes the same idle, cold and warm
// phases; it fetches through go commands it starts, whose memory is outside its own RSS, so the
// highest sum of RSS over its process tree is sampled too (the proxy starts none here: its sum is
// its own RSS).
//
// --env sets a variable for the proxy processes (e.g. --env MALLOC_ARENA_MAX=2). --trace also
// reads the proxy's own /metrics every 100 ms during each phase and reports the highest V8 heap
// in use and external memory (the Buffers outside the heap) next to the peak: where the peak goes.
// Targets (issue 15): idle ≤ 64 MiB; ≤ 100 MiB under the 64 clients, on disk and on S3, cold and warm.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool, request } from 'undici';
import { bigZipModule, escapeCase, moduleFile, writeModuleTree } from '../test/fixtures/moduleTree.ts';
import { startUpstream } from '../test/fixtures/upstreamServer.ts';
import { locateAthens, spawnAthens } from './athens.ts';
import { withCleanup } from './cleanup.ts';
import { buildBundledProgram, readProcessMemory, readProcessTreeRss, resetPeakRss, sleep, spawnProxyProcess, spawnStaticFileServer, type ChildServer } from './processes.ts';
import { progress, runStandalone, type BenchResult, type Measurement } from './results.ts';
import { s3ServerDescription, spawnS3ProxyProcess, spawnS3StreamServer, startBenchS3 } from './s3Proxy.ts';

export type MemoryOptions = {
  /** Clients downloading at once (default 64). */
  clients: number;
  /** Size of the zip in MiB (default 50). */
  megabytes: number;
  /** Flags for the proxy's node, e.g. ["--max-semi-space-size=4"] (default none). */
  nodeArgs: string[];
  /** A folder with the program bundled into JavaScript, as the image runs it (see above); default: built for the run. */
  compiled?: string;
  /** Run the checkout's TypeScript instead of the bundle (default off). */
  checkout: boolean;
  /** More environment variables for the proxy processes, e.g. { MALLOC_ARENA_MAX: '2' } (default none). */
  env: Record<string, string>;
  /** Read the proxy's /metrics during each phase (default off: the reads cost a little memory themselves). */
  trace: boolean;
};

export const memoryDefaults: MemoryOptions = { clients: 64, megabytes: 50, nodeArgs: [], checkout: false, env: {}, trace: false };

const SAMPLE_EVERY_MS = 20;
const PHASE_TIMEOUT_MS = 180_000;
const MiB = 2 ** 20;

type PhasePeak = {
  /** The process's own peak (VmHWM). */
  peakRss: number;
  /** The highest of its own VmRSS sampled. */
  sampledMaxRss: number;
  /** The highest sum of VmRSS over it and the processes it started, sampled. */
  sampledMaxTreeRss: number;
  seconds: number;
  samples: number;
  traced?: TracedMemory;
};

/** The highest of the proxy's own memory figures read from /metrics during a phase. */
type TracedMemory = { heapUsed: number; external: number; rssAtMaxExternal: number; reads: number };

const TRACE_EVERY_MS = 100;

/** Reads `metricsUrl` every TRACE_EVERY_MS until stopped; one read at a time. */
function traceMetrics(metricsUrl: string): { stop(): Promise<TracedMemory> } {
  const traced: TracedMemory = { heapUsed: 0, external: 0, rssAtMaxExternal: 0, reads: 0 };
  const gauge = (text: string, name: string): number => Number(new RegExp(`^gomodproxy_${name} ([0-9.e+]+)$`, 'm').exec(text)?.[1] ?? 0);
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        const answer = await request(metricsUrl);
        const text = await answer.body.text();
        const external = gauge(text, 'nodejs_external_memory_bytes');
        traced.heapUsed = Math.max(traced.heapUsed, gauge(text, 'nodejs_heap_size_used_bytes'));
        if (external > traced.external) {
          traced.external = external;
          traced.rssAtMaxExternal = gauge(text, 'process_resident_memory_bytes');
        }
        traced.reads++;
      } catch {
        // The process is gone or busy; the phase itself will say why.
      }
      await sleep(TRACE_EVERY_MS);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return traced;
    },
  };
}

/** Runs work while sampling the memory of the process and its children; the peak is the process's VmHWM, reset before the work starts. */
export async function measurePeak(pid: number, work: () => Promise<void>, metricsUrl?: string): Promise<PhasePeak> {
  const tracer = metricsUrl === undefined ? undefined : traceMetrics(metricsUrl);
  const resettable = resetPeakRss(pid);
  let sampledMaxRss = 0;
  let sampledMaxTreeRss = 0;
  let samples = 0;
  const sample = (): void => {
    try {
      sampledMaxRss = Math.max(sampledMaxRss, readProcessMemory(pid).rss);
      sampledMaxTreeRss = Math.max(sampledMaxTreeRss, readProcessTreeRss(pid));
      samples++;
    } catch {
      // The process is gone; the phase itself will say why.
    }
  };
  sample();
  const timer = setInterval(sample, SAMPLE_EVERY_MS);
  const started = performance.now();
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  sample();
  const { peakRss } = readProcessMemory(pid);
  const traced = await tracer?.stop();
  // Without clear_refs VmHWM is the peak since start, which is still an upper bound.
  return {
    peakRss: resettable ? peakRss : Math.max(peakRss, sampledMaxRss),
    sampledMaxRss,
    sampledMaxTreeRss,
    seconds: (performance.now() - started) / 1000,
    samples,
    ...(traced && { traced }),
  };
}

/** clients GETs of url at once; each body is hashed as it streams and compared with want. */
export async function downloadAll(url: string, clients: number, want: string): Promise<void> {
  const target = new URL(url);
  const pool = new Pool(target.origin, { connections: clients, headersTimeout: PHASE_TIMEOUT_MS, bodyTimeout: PHASE_TIMEOUT_MS });
  try {
    const failures: string[] = [];
    await Promise.all(
      Array.from({ length: clients }, async (_, client) => {
        const response = await pool.request({ method: 'GET', path: target.pathname });
        const hash = createHash('sha256');
        for await (const chunk of response.body) hash.update(chunk as Buffer);
        const got = hash.digest('hex');
        if (response.statusCode !== 200) failures.push(`client ${client}: status ${response.statusCode}`);
        else if (got !== want) failures.push(`client ${client}: sha256 ${got}, want ${want}`);
      }),
    );
    if (failures.length > 0) throw new Error(`${failures.length} of ${clients} downloads of ${url} failed: ${failures.slice(0, 3).join('; ')}`);
  } finally {
    await pool.close();
  }
}

export function fileSha256(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
}

const mib = (bytes: number): number => bytes / MiB;

export function memory(options: Partial<MemoryOptions> = {}): Promise<BenchResult> {
  const { clients, megabytes, nodeArgs: flags, compiled, checkout, env, trace } = { ...memoryDefaults, ...options };
  const began = performance.now();
  return withCleanup(async (cleanup) => {
    const program = checkout ? undefined : (compiled ?? (await buildBundledProgram(cleanup)));
    const nodeArgs = { nodeArgs: flags, env, ...(program !== undefined && { program: join(program, 'bin', 'gomodproxy.js') }) };
    progress(`memory: writing a ${megabytes} MiB module zip`);
    const big = bigZipModule(megabytes * MiB);
    const tree = await cleanup.tempFolder('gomodproxy-bench-tree-');
    await writeModuleTree(tree, [big]);
    const want = await fileSha256(moduleFile(tree, big, 'zip'));
    const upstream = await startUpstream(tree);
    cleanup.defer('close the upstream', () => upstream.close());
    const storage = await cleanup.tempFolder('gomodproxy-bench-store-');
    const proxy = await spawnProxyProcess(cleanup, { upstream: upstream.url, storagePath: storage, ...nodeArgs });
    const zipPath = `/${escapeCase(big.path)}/@v/${escapeCase(big.version)}.zip`;

    const idle = async (server: ChildServer): Promise<PhasePeak> => measurePeak(server.pid, () => sleep(1_000));
    const load = async (server: ChildServer, metrics = trace): Promise<PhasePeak> =>
      measurePeak(server.pid, () => downloadAll(server.url + zipPath, clients, want), metrics ? `${server.url}/metrics` : undefined);
    /** ", heap ≤ x MiB, external ≤ y MiB" when traced. */
    const traced = ({ traced: t }: PhasePeak): string =>
      t ? `; /metrics (${t.reads} reads): V8 heap used ≤ ${mib(t.heapUsed).toFixed(1)} MiB, external ≤ ${mib(t.external).toFixed(1)} MiB (RSS then ${mib(t.rssAtMaxExternal).toFixed(1)})` : '';

    // Idle: the peak since start-up (VmHWM is not reset for it), after a second of rest.
    await sleep(1_000);
    const proxyIdle = readProcessMemory(proxy.pid);
    progress(`memory: proxy idle: ${mib(proxyIdle.rss).toFixed(1)} MiB, peak since start ${mib(proxyIdle.peakRss).toFixed(1)} MiB`);
    const cold = await load(proxy);
    const upstreamZipFetches = upstream.count('.zip');
    progress(`memory: cold, ${clients} clients: peak ${mib(cold.peakRss).toFixed(1)} MiB in ${cold.seconds.toFixed(1)} s; upstream zip fetches: ${upstreamZipFetches}${traced(cold)}`);
    const warmAfterCold = await load(proxy);
    progress(`memory: warm in the same process, ${clients} clients: peak ${mib(warmAfterCold.peakRss).toFixed(1)} MiB in ${warmAfterCold.seconds.toFixed(1)} s${traced(warmAfterCold)}`);
    const after = await idle(proxy);
    const restingAfter = readProcessMemory(proxy.pid).rss;
    await proxy.stop();

    // Warm again in a fresh process over the same store: what serving cached zips alone costs,
    // without what the cold phase left in the heap.
    const fresh = await spawnProxyProcess(cleanup, { upstream: upstream.url, storagePath: storage, ...nodeArgs });
    await sleep(1_000);
    const warm = await load(fresh);
    progress(`memory: warm in a fresh process, ${clients} clients: peak ${mib(warm.peakRss).toFixed(1)} MiB in ${warm.seconds.toFixed(1)} s${traced(warm)}`);
    await sleep(1_000);
    const freshRestingAfter = readProcessMemory(fresh.pid).rss;

    const floor = await spawnStaticFileServer(cleanup, storage);
    await sleep(1_000);
    const floorIdle = readProcessMemory(floor.pid);
    const floorWarm = await load(floor, false);
    progress(`memory: static file server, ${clients} clients: peak ${mib(floorWarm.peakRss).toFixed(1)} MiB in ${floorWarm.seconds.toFixed(1)} s`);

    // The same cold and warm loads on a proxy that keeps the zip in S3: it is uploaded in parts
    // from the staged file and read back in 1 MiB blocks shared by the clients, never held whole.
    const s3 = await startBenchS3(cleanup);
    const s3Bucket = await s3.createBucket();
    const s3Proxy = await spawnS3ProxyProcess(cleanup, s3, { upstream: upstream.url, ...nodeArgs, env: { ...nodeArgs.env, GOMODPROXY_STORAGE_BUCKET: s3Bucket } });
    await sleep(1_000);
    const s3Idle = readProcessMemory(s3Proxy.pid);
    progress(`memory: S3 proxy idle: ${mib(s3Idle.rss).toFixed(1)} MiB`);
    const fetchesBefore = upstream.count('.zip');
    const s3Cold = await load(s3Proxy);
    const s3UpstreamZipFetches = upstream.count('.zip') - fetchesBefore;
    progress(`memory: S3, cold, ${clients} clients: peak ${mib(s3Cold.peakRss).toFixed(1)} MiB in ${s3Cold.seconds.toFixed(1)} s; upstream zip fetches: ${s3UpstreamZipFetches}${traced(s3Cold)}`);
    const s3Warm = await load(s3Proxy);
    progress(`memory: S3, warm in the same process, ${clients} clients: peak ${mib(s3Warm.peakRss).toFixed(1)} MiB in ${s3Warm.seconds.toFixed(1)} s${traced(s3Warm)}`);
    await s3Proxy.stop();

    // The floor on S3: a plain node:http server streaming the zip the proxy stored (its key is the
    // request's path) from the same bucket with the AWS SDK, one GetObject per client.
    const s3Floor = await spawnS3StreamServer(cleanup, s3, s3Bucket);
    await sleep(1_000);
    const s3FloorIdle = readProcessMemory(s3Floor.pid);
    const s3FloorWarm = await load(s3Floor, false);
    progress(`memory: S3 stream server (AWS SDK), ${clients} clients: idle ${mib(s3FloorIdle.rss).toFixed(1)} MiB, peak ${mib(s3FloorWarm.peakRss).toFixed(1)} MiB in ${s3FloorWarm.seconds.toFixed(1)} s`);
    await s3Floor.stop();

    // Athens, when built by hand: the same idle, cold and warm phases, with the same upstream.
    const athens = locateAthens();
    let athensPhases: { version: string; idle: ReturnType<typeof readProcessMemory>; cold: PhasePeak; warm: PhasePeak; upstreamZipFetches: number } | undefined;
    if ('missing' in athens) progress(`memory: no Athens column: ${athens.missing}`);
    else {
      const server = await spawnAthens(cleanup, athens.path, upstream.url);
      await sleep(1_000);
      const athensIdle = readProcessMemory(server.pid);
      const before = upstream.count('.zip');
      const athensCold = await load(server, false);
      const athensUpstreamZipFetches = upstream.count('.zip') - before;
      progress(
        `memory: Athens cold, ${clients} clients: peak ${mib(athensCold.peakRss).toFixed(1)} MiB, with its go commands ${mib(athensCold.sampledMaxTreeRss).toFixed(1)} MiB, ` +
          `in ${athensCold.seconds.toFixed(1)} s; upstream zip fetches: ${athensUpstreamZipFetches}`,
      );
      const athensWarm = await load(server, false);
      progress(`memory: Athens warm, ${clients} clients: peak ${mib(athensWarm.peakRss).toFixed(1)} MiB in ${athensWarm.seconds.toFixed(1)} s`);
      await server.stop();
      athensPhases = { version: athens.version, idle: athensIdle, cold: athensCold, warm: athensWarm, upstreamZipFetches: athensUpstreamZipFetches };
    }

    const idleTarget = { on: 'value' as const, atMost: 64 };
    const loadTarget = { on: 'value' as const, atMost: 100 };
    const row = (measure: string, proxyBytes: number, floorBytes?: number, floorName = 'node:http static'): Measurement => {
      const m: Measurement = { measure, unit: 'MiB', value: mib(proxyBytes), target: measure.includes('idle') || measure.includes('at rest') ? idleTarget : loadTarget };
      if (floorBytes !== undefined) Object.assign(m, { baseline: mib(floorBytes), baselineName: floorName, ratio: proxyBytes / floorBytes });
      return m;
    };
    const notes = [
      `Upstream zip fetches during the cold phase: ${upstreamZipFetches} (single flight: 1 expected).`,
      `Phases: cold ${cold.seconds.toFixed(1)} s, warm in the same process ${warmAfterCold.seconds.toFixed(1)} s, warm in a fresh process ${warm.seconds.toFixed(1)} s, ` +
        `static server ${floorWarm.seconds.toFixed(1)} s (${clients} × ${megabytes} MiB each; the clients hash in the driver process).`,
      `Highest VmRSS sampled every ${SAMPLE_EVERY_MS} ms: cold ${mib(cold.sampledMaxRss).toFixed(1)} MiB, warm (same process) ${mib(warmAfterCold.sampledMaxRss).toFixed(1)} MiB, ` +
        `warm (fresh process) ${mib(warm.sampledMaxRss).toFixed(1)} MiB. Proxy RSS at rest before the cold phase ${mib(proxyIdle.rss).toFixed(1)} MiB, ` +
        `one second after the warm phase ${mib(restingAfter).toFixed(1)} MiB (peak during that second ${mib(after.peakRss).toFixed(1)} MiB).`,
    ];
    notes.push(
      `S3 storage: ${s3ServerDescription()}; cold phase ${s3Cold.seconds.toFixed(1)} s with ${s3UpstreamZipFetches} upstream zip fetch(es), warm phase ${s3Warm.seconds.toFixed(1)} s; ` +
        `the S3 floor (bench/s3StreamServer.ts: node:http and the AWS SDK, one GetObject streamed per client, serve's node flags) ${s3FloorWarm.seconds.toFixed(1)} s.`,
    );
    if (athensPhases) {
      notes.push(
        `Athens: ${athensPhases.version} (ATHENS_BIN), disk storage, its defaults; cold phase ${athensPhases.cold.seconds.toFixed(1)} s with ${athensPhases.upstreamZipFetches} upstream zip fetch(es) by its go command, ` +
          `warm phase ${athensPhases.warm.seconds.toFixed(1)} s; highest RSS of Athens and its go commands together, sampled every ${SAMPLE_EVERY_MS} ms: ` +
          `cold ${mib(athensPhases.cold.sampledMaxTreeRss).toFixed(1)} MiB, warm ${mib(athensPhases.warm.sampledMaxTreeRss).toFixed(1)} MiB.`,
      );
    }
    if (upstreamZipFetches !== 1) notes.push(`**The cold phase fetched the zip from upstream ${upstreamZipFetches} times, not once.**`);

    return {
      name: 'memory',
      title: 'Memory',
      setup:
        `${clients} clients download one ${megabytes} MiB zip at once (each checks the sha256 of the whole body); proxy as a child process${flags.length > 0 ? ` (node ${flags.join(' ')})` : ''}` +
        `${Object.keys(env).length > 0 ? ` with ${Object.entries(env).map(([name, value]) => `${name}=${value}`).join(' ')}` : ''} ` +
        `running ${checkout ? "the checkout's TypeScript (type stripping)" : 'the bundle, as the image does'}, with an http upstream on 127.0.0.1; peak = VmHWM of the proxy process, reset before each phase; baseline = a node:http static file server ` +
        `serving the stored zip to the same ${clients} clients.`,
      measurements: [
        row('peak RSS idle (since start-up)', proxyIdle.peakRss, floorIdle.peakRss),
        row('RSS at rest before any request', proxyIdle.rss, floorIdle.rss),
        row('RSS at rest 1 s after the warm phase in the fresh process (no upstream request made)', freshRestingAfter),
        row('RSS at rest 1 s after the cold and warm phases (same process)', restingAfter),
        row(`peak RSS cold: ${clients} clients, ${megabytes} MiB zip not yet cached`, cold.peakRss),
        row(`peak RSS warm: ${clients} clients, ${megabytes} MiB zip cached (fresh process)`, warm.peakRss, floorWarm.peakRss),
        row(`peak RSS warm: same, in the process that served the cold phase`, warmAfterCold.peakRss),
        row('RSS at rest before any request, S3 storage (the S3 client loaded)', s3Idle.rss, proxyIdle.rss, 'proxy on disk'),
        row('RSS at rest before any request, S3 storage', s3Idle.rss, s3FloorIdle.rss, 'node:http + AWS SDK stream'),
        row(`peak RSS cold on S3 storage: ${clients} clients, ${megabytes} MiB zip not yet cached`, s3Cold.peakRss, cold.peakRss, 'proxy on disk'),
        row(`peak RSS warm on S3 storage: same, in the process that served the cold phase`, s3Warm.peakRss, warmAfterCold.peakRss, 'proxy on disk'),
        row(`peak RSS warm on S3 storage: same`, s3Warm.peakRss, s3FloorWarm.peakRss, 'node:http + AWS SDK stream'),
        ...(athensPhases
          ? [
              row('peak RSS idle (since start-up)', proxyIdle.peakRss, athensPhases.idle.peakRss, 'Athens'),
              row(`peak RSS cold: ${clients} clients, ${megabytes} MiB zip not yet cached`, cold.peakRss, athensPhases.cold.peakRss, 'Athens, its own process'),
              row(
                `highest RSS sampled cold, with the processes each started: ${clients} clients, ${megabytes} MiB zip not yet cached`,
                cold.sampledMaxTreeRss,
                athensPhases.cold.sampledMaxTreeRss,
                'Athens and its go commands',
              ),
              row(`peak RSS warm: same, in the process that served the cold phase`, warmAfterCold.peakRss, athensPhases.warm.peakRss, 'Athens'),
            ]
          : []),
      ],
      notes,
      seconds: (performance.now() - began) / 1000,
    };
  });
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { clients: { type: 'string' }, megabytes: { type: 'string' }, 'node-arg': { type: 'string', multiple: true }, compiled: { type: 'string' }, checkout: { type: 'boolean' }, env: { type: 'string', multiple: true }, trace: { type: 'boolean' } },
  });
  await runStandalone(() =>
    memory({
      ...(values.clients !== undefined && { clients: Number(values.clients) }),
      ...(values.megabytes !== undefined && { megabytes: Number(values.megabytes) }),
      ...(values['node-arg'] !== undefined && { nodeArgs: values['node-arg'] }),
      ...(values.compiled !== undefined && { compiled: values.compiled }),
      ...(values.checkout !== undefined && { checkout: values.checkout }),
      ...(values.env !== undefined && { env: Object.fromEntries(values.env.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)])) }),
      ...(values.trace !== undefined && { trace: values.trace }),
    }),
  );
}
