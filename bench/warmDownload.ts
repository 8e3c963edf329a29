// Warm cache: how long `go mod download` of 240 module versions takes from the proxy once it holds
// them, against the floor of the go command reading the same versions from a file:// tree.
//
//   node bench/warmDownload.ts [--rounds 5] [--versions 240]
//
// Each round downloads every version into a fresh, empty GOMODCACHE from each side; the order of
// the sides rotates from round to round. A third side, a plain node:http static file server serving
// the proxy's store, splits the gap in two: what HTTP costs the go command, and what the proxy adds
// to HTTP. Target: proxy / file:// ≤ 1.2. A fourth side is a second proxy process keeping the same
// versions in S3 (a MinIO that the benchmark starts on 127.0.0.1), against the proxy on disk.

import { parseArgs } from 'node:util';
import { fileProxyUrl } from '../test/fixtures/goCommand.ts';
import { largeCorpus, writeModuleTree } from '../test/fixtures/moduleTree.ts';
import { startChecksumDatabase } from '../test/fixtures/sumdbServer.ts';
import { withCleanup } from './cleanup.ts';
import { timedGoModDownload } from './goDownload.ts';
import { spawnProxyProcess, spawnStaticFileServer } from './processes.ts';
import { progress, runStandalone, sideBySide, type BenchResult } from './results.ts';
import { s3ServerDescription, spawnS3ProxyProcess, startBenchS3 } from './s3Proxy.ts';

export type WarmDownloadOptions = {
  /** Timed rounds, each one download from each side (default 5). */
  rounds: number;
  /** Module versions in the corpus (default 240: 60 modules × 4 versions). */
  versions: number;
};

export const warmDownloadDefaults: WarmDownloadOptions = { rounds: 5, versions: 240 };

export function warmDownload(options: Partial<WarmDownloadOptions> = {}): Promise<BenchResult> {
  const { rounds, versions } = { ...warmDownloadDefaults, ...options };
  const began = performance.now();
  return withCleanup(async (cleanup) => {
    progress(`warm download: writing ${versions} module versions`);
    const corpus = largeCorpus(versions);
    const tree = await cleanup.tempFolder('gomodproxy-bench-tree-');
    await writeModuleTree(tree, corpus);
    const storage = await cleanup.tempFolder('gomodproxy-bench-store-');
    // Verification on, as in production: the cold fill checks every file against a checksum
    // database; warm answers come from storage and ask it nothing.
    const db = await startChecksumDatabase();
    cleanup.defer('stop the checksum database', () => db.close());
    await db.addFixtures(corpus);
    const env = { GOMODPROXY_SUMDB: db.setting };
    const proxy = await spawnProxyProcess(cleanup, { upstream: fileProxyUrl(tree), storagePath: storage, env });
    progress('warm download: starting MinIO and a second proxy on S3 storage');
    const s3 = await startBenchS3(cleanup);
    const s3Proxy = await spawnS3ProxyProcess(cleanup, s3, { upstream: fileProxyUrl(tree), env });
    const moduleVersions = corpus.map((m) => `${m.path}@${m.version}`);

    /** One `go mod download` of every version into a fresh module cache; seconds. */
    const download = (goproxy: string): Promise<number> => timedGoModDownload(moduleVersions, { goproxy });

    progress('warm download: filling the proxies (cold)');
    const cold = await download(proxy.url);
    const coldS3 = await download(s3Proxy.url);
    const staticServer = await spawnStaticFileServer(cleanup, storage);
    const sides = { floor: fileProxyUrl(tree), static: staticServer.url, proxy: proxy.url, s3: s3Proxy.url };
    const names = Object.keys(sides) as Array<keyof typeof sides>;
    progress('warm download: warming every side once');
    for (const side of names) await download(sides[side]);

    const seconds: Record<keyof typeof sides, number[]> = { floor: [], static: [], proxy: [], s3: [] };
    for (let round = 0; round < rounds; round++) {
      const order = names.map((_, i) => names[(i + round) % names.length]!);
      for (const side of order) seconds[side].push(await download(sides[side]));
      progress(
        `warm download: round ${round + 1}/${rounds}: ` + names.map((side) => `${side} ${seconds[side].at(-1)!.toFixed(2)} s`).join(', '),
      );
    }

    return {
      name: 'warm',
      title: 'Warm download',
      setup:
        `\`go mod download\` of ${versions} module versions (${new Set(corpus.map((m) => m.path)).size} modules, largeCorpus) into a fresh GOMODCACHE, ` +
        `median of ${rounds} rounds, the order of the sides rotating; proxy as a child process (log level warn, checksum verification on against a test database on 127.0.0.1) serving from its disk store; ` +
        `floor GOPROXY=file:// of the upstream tree; middle side a node:http static file server (child process) of the proxy's store. ` +
        `The S3 side is a second proxy process on S3 storage: ${s3ServerDescription()}. ` +
        `The first (cold) fill took ${cold.toFixed(2)} s on disk, ${coldS3.toFixed(2)} s on S3.`,
      measurements: [
        sideBySide(
          { measure: `\`go mod download\` ${versions} versions, warm proxy vs GOPROXY=file:// tree`, unit: 's', baselineName: 'file://', target: { on: 'ratio', atMost: 1.2 } },
          seconds.proxy,
          seconds.floor,
        ),
        sideBySide(
          { measure: `\`go mod download\` ${versions} versions, warm proxy vs node:http static server of its store`, unit: 's', baselineName: 'node:http static' },
          seconds.proxy,
          seconds.static,
        ),
        sideBySide(
          { measure: `\`go mod download\` ${versions} versions, warm proxy on S3 (MinIO) vs the same proxy on disk`, unit: 's', baselineName: 'proxy on disk' },
          seconds.s3,
          seconds.proxy,
        ),
      ],
      notes: [],
      seconds: (performance.now() - began) / 1000,
    };
  });
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { rounds: { type: 'string' }, versions: { type: 'string' } } });
  await runStandalone(() =>
    warmDownload({
      ...(values.rounds !== undefined && { rounds: Number(values.rounds) }),
      ...(values.versions !== undefined && { versions: Number(values.versions) }),
    }),
  );
}
