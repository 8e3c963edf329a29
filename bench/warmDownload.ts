// Warm cache: how long `go mod download` of 240 module versions takes from the proxy once it holds
// them, against the floor of the go command reading the same versions from a file:// tree.
//
//   node bench/warmDownload.ts [--rounds 5] [--versions 240]
//
// Each round downloads every version into a fresh, empty GOMODCACHE, once from each side; the side
// that goes first alternates from round to round. Target: proxy / floor ≤ 1.2.

import { parseArgs } from 'node:util';
import { fileProxyUrl, makeGoHome, runGo } from '../test/fixtures/goCommand.ts';
import { largeCorpus, writeModuleTree } from '../test/fixtures/moduleTree.ts';
import { withCleanup } from './cleanup.ts';
import { spawnProxyProcess } from './processes.ts';
import { progress, runStandalone, sideBySide, type BenchResult } from './results.ts';

export type WarmDownloadOptions = {
  /** Timed rounds, each one download from each side (default 5). */
  rounds: number;
  /** Module versions in the corpus (default 240: 60 modules × 4 versions). */
  versions: number;
};

export const warmDownloadDefaults: WarmDownloadOptions = { rounds: 5, versions: 240 };

const DOWNLOAD_TIMEOUT_MS = 120_000;

export function warmDownload(options: Partial<WarmDownloadOptions> = {}): Promise<BenchResult> {
  const { rounds, versions } = { ...warmDownloadDefaults, ...options };
  const began = performance.now();
  return withCleanup(async (cleanup) => {
    progress(`warm download: writing ${versions} module versions`);
    const corpus = largeCorpus(versions);
    const tree = await cleanup.tempFolder('gomodproxy-bench-tree-');
    await writeModuleTree(tree, corpus);
    const storage = await cleanup.tempFolder('gomodproxy-bench-store-');
    const proxy = await spawnProxyProcess(cleanup, { upstream: fileProxyUrl(tree), storagePath: storage });
    const moduleVersions = corpus.map((m) => `${m.path}@${m.version}`);

    /** One `go mod download` of every version into a fresh module cache; seconds. */
    const download = async (goproxy: string): Promise<number> => {
      const goHome = await makeGoHome({ goproxy });
      try {
        const started = performance.now();
        await runGo(['mod', 'download', ...moduleVersions], { cwd: goHome.home, env: goHome.env, timeoutMs: DOWNLOAD_TIMEOUT_MS });
        return (performance.now() - started) / 1000;
      } finally {
        await goHome.dispose();
      }
    };

    const sides = { floor: fileProxyUrl(tree), proxy: proxy.url };
    progress('warm download: filling the proxy (cold) and warming both sides once');
    const cold = await download(sides.proxy);
    await download(sides.floor);
    await download(sides.proxy);

    const proxySeconds: number[] = [];
    const floorSeconds: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? (['floor', 'proxy'] as const) : (['proxy', 'floor'] as const);
      for (const side of order) {
        const seconds = await download(sides[side]);
        (side === 'proxy' ? proxySeconds : floorSeconds).push(seconds);
      }
      progress(`warm download: round ${round + 1}/${rounds}: floor ${floorSeconds.at(-1)!.toFixed(2)} s, proxy ${proxySeconds.at(-1)!.toFixed(2)} s`);
    }

    return {
      name: 'warm',
      title: 'Warm download',
      setup:
        `\`go mod download\` of ${versions} module versions (${new Set(corpus.map((m) => m.path)).size} modules, largeCorpus) into a fresh GOMODCACHE, ` +
        `median of ${rounds} alternating rounds; proxy as a child process serving from its disk store, ` +
        `floor GOPROXY=file:// of the same tree. The first (cold) fill of the proxy took ${cold.toFixed(2)} s.`,
      measurements: [
        sideBySide(
          { measure: `\`go mod download\` ${versions} versions, warm proxy vs file:// tree`, unit: 's', baselineName: 'file://', target: { on: 'ratio', atMost: 1.2 } },
          proxySeconds,
          floorSeconds,
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
