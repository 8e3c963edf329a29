// Cold download with checksum verification: what checking every fetched .mod and .zip against a
// checksum database costs when the proxy's store is empty.
//
//   node bench/coldVerify.ts [--rounds 5] [--versions 200] [--log 100000]
//
// Each round starts two proxies with empty stores in front of the same file:// tree: one with
// `sumdb` set to a checksum database on 127.0.0.1 (a log of --log records plus the corpus, so its
// proofs climb three tile levels as a large public log's do), one with `sumdb: off`; the go
// command (GOSUMDB=off, so that only the proxy's verification differs) downloads every version
// into a fresh GOMODCACHE from each, the order alternating. A third side has the go command verify
// too, through the verifying proxy's /sumdb/. Target: verifying / not verifying ≤ 1.3.

import { parseArgs } from 'node:util';
import { fileProxyUrl } from '../test/fixtures/goCommand.ts';
import { largeCorpus, writeModuleTree } from '../test/fixtures/moduleTree.ts';
import { startChecksumDatabase } from '../test/fixtures/sumdbServer.ts';
import { withCleanup } from './cleanup.ts';
import { timedGoModDownload } from './goDownload.ts';
import { spawnProxyProcess } from './processes.ts';
import { progress, runStandalone, sideBySide, type BenchResult } from './results.ts';

export type ColdVerifyOptions = {
  rounds: number;
  versions: number;
  /** Records in the database's log besides the corpus's. */
  log: number;
};

export const coldVerifyDefaults: ColdVerifyOptions = { rounds: 5, versions: 200, log: 100_000 };

export function coldVerify(options: Partial<ColdVerifyOptions> = {}): Promise<BenchResult> {
  const { rounds, versions, log } = { ...coldVerifyDefaults, ...options };
  const began = performance.now();
  return withCleanup(async (cleanup) => {
    progress(`cold verify: writing ${versions} module versions and a log of ${log} records`);
    const corpus = largeCorpus(versions);
    const tree = await cleanup.tempFolder('gomodproxy-bench-tree-');
    await writeModuleTree(tree, corpus);
    const db = await startChecksumDatabase();
    cleanup.defer('stop the checksum database', () => db.close());
    const filler = 'h1:' + Buffer.alloc(32, 7).toString('base64');
    await db.add(Array.from({ length: log }, (_, i) => ({ path: `example.com/filler/m${i}`, version: 'v1.0.0', zipHash: filler, modHash: filler })));
    await db.addFixtures(corpus);
    const moduleVersions = corpus.map((m) => `${m.path}@${m.version}`);

    /** A proxy with an empty store, and one `go mod download` of every version through it; seconds. */
    const coldDownload = async (side: 'verifying' | 'off' | 'client'): Promise<number> => {
      const storage = await cleanup.tempFolder('gomodproxy-bench-store-');
      const proxy = await spawnProxyProcess(cleanup, {
        upstream: fileProxyUrl(tree),
        storagePath: storage,
        env: { GOMODPROXY_SUMDB: side === 'off' ? 'off' : db.setting },
      });
      try {
        return await timedGoModDownload(moduleVersions, { goproxy: proxy.url, gosumdb: side === 'client' ? db.vkey : 'off' });
      } finally {
        await proxy.stop();
      }
    };

    const sides = ['verifying', 'off', 'client'] as const;
    const seconds: Record<(typeof sides)[number], number[]> = { verifying: [], off: [], client: [] };
    progress('cold verify: one untimed round');
    for (const side of sides) await coldDownload(side);
    for (let round = 0; round < rounds; round++) {
      const order = sides.map((_, i) => sides[(i + round) % sides.length]!);
      for (const side of order) seconds[side].push(await coldDownload(side));
      progress(`cold verify: round ${round + 1}/${rounds}: ` + sides.map((side) => `${side} ${seconds[side].at(-1)!.toFixed(2)} s`).join(', '));
    }
    const lookups = db.requests.filter((p) => p.startsWith('/lookup/')).length;

    return {
      name: 'coldverify',
      title: 'Cold download, checksum verification on and off',
      setup:
        `\`go mod download\` of ${versions} module versions (largeCorpus) through a proxy with an empty disk store, a new proxy process per download, ` +
        `upstream GOPROXY=file://; the checksum database is the test database on 127.0.0.1 (in the benchmark's process) with ${log + versions} records, ` +
        `tile height 8; median of ${rounds} rounds, the order of the sides rotating. The go command runs with GOSUMDB=off except on the third side. ` +
        `The database answered ${lookups} lookups in all.`,
      measurements: [
        sideBySide(
          { measure: `cold \`go mod download\` ${versions} versions, proxy verifying vs sumdb off`, unit: 's', baselineName: 'sumdb off', target: { on: 'ratio', atMost: 1.3 } },
          seconds.verifying,
          seconds.off,
        ),
        sideBySide(
          { measure: `the same, the go command also verifying through the proxy's /sumdb/, vs sumdb off`, unit: 's', baselineName: 'sumdb off' },
          seconds.client,
          seconds.off,
        ),
      ],
      notes: [],
      seconds: (performance.now() - began) / 1000,
    };
  });
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { rounds: { type: 'string' }, versions: { type: 'string' }, log: { type: 'string' } } });
  await runStandalone(() =>
    coldVerify({
      ...(values.rounds !== undefined && { rounds: Number(values.rounds) }),
      ...(values.versions !== undefined && { versions: Number(values.versions) }),
      ...(values.log !== undefined && { log: Number(values.log) }),
    }),
  );
}
