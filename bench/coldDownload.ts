// Cold and warm `go mod download` of a corpus of real modules (bench/realCorpus.ts), through the
// proxy and its peers, side by side in one run:
//
//   node bench/coldDownload.ts [--rounds 3] [--warm-rounds 2] [--delay-ms 20]
//
// One local upstream (bench/staticFileServer.ts, a child process) serves the corpus's GOPROXY
// tree from 127.0.0.1, holding every answer back delayMs, as a remote registry would.
// Cold, each round, the order of the sides rotating, each into a fresh GOMODCACHE:
//   - direct: the go command fetching from the upstream itself (the floor);
//   - proxy: a new proxy process with an empty store (spawned before the clock starts);
//   - nginx: a new nginx with an empty proxy_cache (nginxCache.ts), which checks nothing;
//   - athens: a new Athens with empty disk storage (athens.ts), when ATHENS_BIN names one.
// Warm: a proxy, an nginx and an Athens that hold the corpus, against GOPROXY=file:// of the tree.
// Without nginx or Athens, its columns are left out and the reason is printed.

import { parseArgs } from 'node:util';
import { fileProxyUrl, makeTempDir, removeTempDir } from '../test/fixtures/goCommand.ts';
import { locateAthens, spawnAthens } from './athens.ts';
import { withCleanup, type Cleanup } from './cleanup.ts';
import { timedGoModDownload } from './goDownload.ts';
import { locateNginx, spawnNginxCache } from './nginxCache.ts';
import { spawnProxyProcess, spawnStaticFileServer, type ChildServer } from './processes.ts';
import { realCorpus } from './realCorpus.ts';
import { progress, runStandalone, sideBySide, type BenchResult, type Measurement } from './results.ts';

export type ColdDownloadOptions = {
  /** Cold rounds, each one download from each side (default 3: a round takes minutes, and two rounds of one quiet run differed by half). */
  rounds: number;
  /** Warm rounds (default 2). */
  warmRounds: number;
  /** Milliseconds the upstream holds every answer back (default 20). */
  delayMs: number;
};

export const coldDownloadDefaults: ColdDownloadOptions = { rounds: 3, warmRounds: 2, delayMs: 20 };

type Side = { name: string; start: (cleanup: Cleanup) => Promise<{ goproxy: string; stop: () => Promise<void> }> };

export function coldDownload(options: Partial<ColdDownloadOptions> = {}): Promise<BenchResult> {
  const { rounds, warmRounds, delayMs } = { ...coldDownloadDefaults, ...options };
  const began = performance.now();
  return withCleanup(async (cleanup) => {
    const corpus = await realCorpus();
    const versions = corpus.moduleVersions.length;
    const notes: string[] = [];
    const upstream = await spawnStaticFileServer(cleanup, corpus.downloadDir, delayMs);
    const nginx = locateNginx();
    if ('missing' in nginx) {
      progress(`cold download: no nginx column: ${nginx.missing}`);
      notes.push(`No nginx columns: ${nginx.missing}.`);
    }
    const athens = locateAthens();
    // Athens is built by hand, so its absence is the usual case: said on stderr, not in the report.
    if ('missing' in athens) progress(`cold download: no Athens column: ${athens.missing}`);

    const startProxy = async (c: Cleanup) => {
      const store = await makeTempDir('gomodproxy-bench-store-');
      c.defer(`remove ${store}`, () => removeTempDir(store));
      const proxy = await spawnProxyProcess(c, { upstream: upstream.url, storagePath: store });
      return { goproxy: proxy.url, stop: async () => (await proxy.stop(), await removeTempDir(store)) };
    };
    const startNginx = async (c: Cleanup) => {
      if ('missing' in nginx) throw new Error(nginx.missing);
      const server: ChildServer = await spawnNginxCache(c, nginx.path, upstream.url);
      return { goproxy: server.url, stop: () => server.stop() };
    };
    const startAthens = async (c: Cleanup) => {
      if ('missing' in athens) throw new Error(athens.missing);
      const server = await spawnAthens(c, athens.path, upstream.url);
      return { goproxy: server.url, stop: () => server.stop() };
    };
    const sides: Side[] = [
      { name: 'direct', start: async () => ({ goproxy: upstream.url, stop: async () => undefined }) },
      { name: 'proxy', start: startProxy },
      ...('missing' in nginx ? [] : [{ name: 'nginx', start: startNginx }]),
      ...('missing' in athens ? [] : [{ name: 'athens', start: startAthens }]),
    ];

    const download = (goproxy: string): Promise<number> => timedGoModDownload(corpus.moduleVersions, { goproxy });
    const cold: Record<string, number[]> = Object.fromEntries(sides.map((s) => [s.name, []]));
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < sides.length; i++) {
        const side = sides[(i + round) % sides.length]!;
        const started = await side.start(cleanup);
        try {
          cold[side.name]!.push(await download(started.goproxy));
        } finally {
          await started.stop();
        }
      }
      progress(`cold download: round ${round + 1}/${rounds}: ` + sides.map((s) => `${s.name} ${cold[s.name]!.at(-1)!.toFixed(2)} s`).join(', '));
    }

    progress(`cold download: filling ${sides.slice(1).map((s) => s.name).join(', ')} for the warm rounds`);
    const warmSides: Record<string, string> = { file: fileProxyUrl(corpus.downloadDir) };
    for (const side of sides.slice(1)) {
      const filled = await side.start(cleanup);
      await download(filled.goproxy);
      warmSides[side.name] = filled.goproxy;
    }
    const warmNames = Object.keys(warmSides);
    const warm: Record<string, number[]> = Object.fromEntries(warmNames.map((n) => [n, []]));
    for (let round = 0; round < warmRounds; round++) {
      for (let i = 0; i < warmNames.length; i++) {
        const name = warmNames[(i + round) % warmNames.length]!;
        warm[name]!.push(await download(warmSides[name]!));
      }
      progress(`warm download: round ${round + 1}/${warmRounds}: ` + warmNames.map((n) => `${n} ${warm[n]!.at(-1)!.toFixed(2)} s`).join(', '));
    }

    const what = `\`go mod download\` of ${versions} real versions`;
    const measurements: Measurement[] = [
      sideBySide({ measure: `${what}, cold proxy vs the go command fetching directly`, unit: 's', baselineName: 'go direct', target: { on: 'ratio', atMost: 1.3 } }, cold['proxy']!, cold['direct']!),
    ];
    if (cold['nginx']) {
      measurements.push(
        sideBySide({ measure: `${what}, cold proxy vs nginx proxy_cache`, unit: 's', baselineName: 'nginx proxy_cache', target: { on: 'ratio', atMost: 1.2 } }, cold['proxy']!, cold['nginx']),
        sideBySide({ measure: `${what}, cold nginx proxy_cache vs the go command fetching directly`, unit: 's', baselineName: 'go direct' }, cold['nginx'], cold['direct']!),
      );
    }
    if (cold['athens']) {
      measurements.push(
        sideBySide({ measure: `${what}, cold proxy vs Athens`, unit: 's', baselineName: 'Athens', target: { on: 'ratio', atMost: 0.5 } }, cold['proxy']!, cold['athens']),
        sideBySide({ measure: `${what}, cold Athens vs the go command fetching directly`, unit: 's', baselineName: 'go direct' }, cold['athens'], cold['direct']!),
      );
    }
    measurements.push(
      sideBySide({ measure: `${what}, warm proxy vs GOPROXY=file://`, unit: 's', baselineName: 'file://', target: { on: 'ratio', atMost: 1.2 } }, warm['proxy']!, warm['file']!),
    );
    if (warm['nginx']) {
      measurements.push(sideBySide({ measure: `${what}, warm proxy vs nginx proxy_cache`, unit: 's', baselineName: 'nginx proxy_cache' }, warm['proxy']!, warm['nginx']));
    }
    if (warm['athens']) {
      measurements.push(sideBySide({ measure: `${what}, warm proxy vs Athens`, unit: 's', baselineName: 'Athens', target: { on: 'ratio', atMost: 0.8 } }, warm['proxy']!, warm['athens']));
    }
    return {
      name: 'cold',
      title: 'Cold and warm download of real modules, with peers',
      setup:
        `${versions} module versions (${(corpus.zipBytes / 2 ** 20).toFixed(0)} MiB of zips; over 10 MiB: ${corpus.largeZips.join(', ')}), the module graph of bench/corpus/go.mod, ` +
        `served by a node:http static server (child process) on 127.0.0.1 with +${delayMs} ms per request; each download into a fresh GOMODCACHE with GOSUMDB=off, the proxy with sumdb off. ` +
        `Cold: median of ${rounds} rounds, the order rotating; a new proxy with an empty store and a new nginx with an empty cache for each. ` +
        `Warm: median of ${warmRounds} rounds from a filled proxy and nginx vs GOPROXY=file:// of the tree.` +
        ('missing' in nginx ? '' : ` nginx: ${nginx.version}, one process, proxy_cache with proxy_cache_lock.`) +
        ('missing' in athens ? '' : ` Athens: ${athens.version} (ATHENS_BIN), a new one with empty disk storage for each cold round and a filled one for the warm rounds; its defaults (10 fetch workers), its go command fetching from the same upstream with GOSUMDB=off.`),
      measurements,
      notes,
      seconds: (performance.now() - began) / 1000,
    };
  });
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { rounds: { type: 'string' }, 'warm-rounds': { type: 'string' }, 'delay-ms': { type: 'string' } } });
  await runStandalone(() =>
    coldDownload({
      ...(values.rounds !== undefined && { rounds: Number(values.rounds) }),
      ...(values['warm-rounds'] !== undefined && { warmRounds: Number(values['warm-rounds']) }),
      ...(values['delay-ms'] !== undefined && { delayMs: Number(values['delay-ms']) }),
    }),
  );
}
