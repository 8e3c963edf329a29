// Start-up with a big store: the time from spawning `node bin/gomodproxy.js serve` to the first 200 of
// GET /readyz with 100,000 cached module versions on disk, side by side with an empty store; and
// the time of a cached `.info` and `list` request on the big store against a store holding only
// the module asked for. The proxy never scans its store, so the sizes of the stores should not
// show in any of these figures.
//
//   node bench/startup.ts [--rounds 5] [--modules 10000] [--versions 10] [--requests 500]
//
// The big store is generated once (about 30 s) into <tmpdir>/gomodproxy-bench-startup-100k
// (410,000 small files, about 1.7 GB on disk) and reused by later runs; delete that folder to get
// the space back.
// Target: ready ≤ 1 s.

import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { escapeCase } from '../test/fixtures/moduleTree.ts';
import { withCleanup, type Cleanup } from './cleanup.ts';
import { bigStoreModulePath, bigStoreVersion, ensureBigStore, moduleFiles } from './bigStore.ts';
import { spawnProxyProcess, type ChildServer } from './processes.ts';
import { median, progress, runStandalone, sideBySide, type BenchResult } from './results.ts';

export type StartupOptions = {
  /** Start-ups of each store (default 5). */
  rounds: number;
  /** Modules in the big store (default 10,000). */
  modules: number;
  /** Versions of each module (default 10). */
  versions: number;
  /** Requests of each kind timed on each store (default 500). */
  requests: number;
};

export const startupDefaults: StartupOptions = { rounds: 5, modules: 10_000, versions: 10, requests: 500 };

/** Both stores answer from storage only: the proxy asks no upstream. */
const UPSTREAM = 'off';

type Timed = { ms: number; status: number };

async function timedGet(pool: Pool, path: string): Promise<Timed> {
  const started = performance.now();
  const response = await pool.request({ method: 'GET', path });
  await response.body.dump();
  return { ms: performance.now() - started, status: response.statusCode };
}

async function startOnce(cleanup: Cleanup, storagePath: string): Promise<ChildServer> {
  return spawnProxyProcess(cleanup, { upstream: UPSTREAM, storagePath, pollMs: 2 });
}

export function startup(options: Partial<StartupOptions> = {}): Promise<BenchResult> {
  const { rounds, modules, versions, requests } = { ...startupDefaults, ...options };
  const totalVersions = modules * versions;
  const began = performance.now();
  return withCleanup(async (cleanup) => {
    const bigStore = join(tmpdir(), `gomodproxy-bench-startup-${totalVersions >= 1000 ? `${Math.round(totalVersions / 1000)}k` : totalVersions}`);
    progress(`startup: ${bigStore}: ${modules} modules × ${versions} versions`);
    const generated = await ensureBigStore(bigStore, { modules, versionsPerModule: versions }, progress);
    progress(generated.made ? `startup: store written in ${generated.seconds.toFixed(1)} s` : 'startup: reusing the store written before');

    // The module whose answers are timed, in the middle of the big store; the small store holds it alone.
    const index = Math.floor(modules / 2);
    const modulePath = bigStoreModulePath(index);
    const version = bigStoreVersion(Math.floor(versions / 2));
    const smallStore = await cleanup.tempFolder('gomodproxy-bench-store-');
    for (const [name, bytes] of moduleFiles(modulePath, Array.from({ length: versions }, (_, i) => bigStoreVersion(i)))) {
      await mkdir(dirname(join(smallStore, name)), { recursive: true });
      await writeFile(join(smallStore, name), bytes);
    }
    const emptyStore = await cleanup.tempFolder('gomodproxy-bench-store-');
    const infoPath = `/${escapeCase(modulePath)}/@v/${escapeCase(version)}.info`;
    const listPath = `/${escapeCase(modulePath)}/@v/list`;

    // Start-up, alternating which store goes first; the first answers of the big store are timed too.
    const bigReady: number[] = [];
    const emptyReady: number[] = [];
    const firstInfo: number[] = [];
    const firstList: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? (['empty', 'big'] as const) : (['big', 'empty'] as const);
      for (const which of order) {
        const proxy = await startOnce(cleanup, which === 'big' ? bigStore : emptyStore);
        (which === 'big' ? bigReady : emptyReady).push(proxy.readyMs);
        if (which === 'big') {
          const pool = new Pool(proxy.url, { connections: 1 });
          const info = await timedGet(pool, infoPath);
          const list = await timedGet(pool, listPath);
          await pool.close();
          if (info.status !== 200 || list.status !== 200) throw new Error(`big store: .info ${info.status}, list ${list.status}; want 200 from storage`);
          firstInfo.push(info.ms);
          firstList.push(list.ms);
        }
        await proxy.stop();
      }
      progress(`startup: round ${round + 1}/${rounds}: ready in ${emptyReady.at(-1)!.toFixed(0)} ms (empty), ${bigReady.at(-1)!.toFixed(0)} ms (${totalVersions} versions)`);
    }

    // Requests: both proxies running, one keep-alive connection each, requests alternating between them.
    const big = await startOnce(cleanup, bigStore);
    const small = await startOnce(cleanup, smallStore);
    const pools = { big: new Pool(big.url, { connections: 1 }), small: new Pool(small.url, { connections: 1 }) };
    cleanup.defer('close the request pools', async () => {
      await pools.big.close();
      await pools.small.close();
    });
    const times = { big: { info: [] as number[], list: [] as number[] }, small: { info: [] as number[], list: [] as number[] } };
    const warmUp = 50;
    for (let i = 0; i < warmUp + requests; i++) {
      const order = i % 2 === 0 ? (['big', 'small'] as const) : (['small', 'big'] as const);
      for (const which of order) {
        for (const [kind, path] of [['info', infoPath], ['list', listPath]] as const) {
          const answer = await timedGet(pools[which], path);
          if (answer.status !== 200) throw new Error(`${which} store: GET ${path}: ${answer.status}; want 200 from storage`);
          if (i >= warmUp) times[which][kind].push(answer.ms);
        }
      }
    }

    return {
      name: 'startup',
      title: 'Start-up',
      setup:
        `Time from spawn to the first 200 of GET /readyz (polled every 2 ms), median of ${rounds} alternating start-ups, ` +
        `with ${totalVersions.toLocaleString('en-US')} versions (${modules.toLocaleString('en-US')} modules × ${versions}; .info, .mod, .zip, .ziphash and list) on disk ` +
        `vs an empty store; then the median of ${requests} sequential requests on one keep-alive connection to each of two running proxies, ` +
        `the big store vs a store holding only the module asked for (upstream "off", so both answer from storage). ` +
        `Store at ${bigStore} (${generated.made ? `written in this run in ${generated.seconds.toFixed(0)} s` : 'reused from an earlier run'}).`,
      measurements: [
        sideBySide(
          { measure: `ready (GET /readyz 200) with ${Math.round(totalVersions / 1000)}k versions on disk, vs empty store`, unit: 'ms', baselineName: 'empty store', target: { on: 'value', atMost: 1000 } },
          bigReady,
          emptyReady,
        ),
        sideBySide({ measure: `cached .info request, ${Math.round(totalVersions / 1000)}k-version store vs one-module store`, unit: 'ms', baselineName: 'one module' }, times.big.info, times.small.info),
        sideBySide({ measure: `list request (from storage), ${Math.round(totalVersions / 1000)}k-version store vs one-module store`, unit: 'ms', baselineName: 'one module' }, times.big.list, times.small.list),
      ],
      notes: [
        `First requests right after ready, big store: .info median ${median(firstInfo).toFixed(1)} ms, list median ${median(firstList).toFixed(1)} ms ` +
          `(includes the server's first-call warm-up).`,
      ],
      seconds: (performance.now() - began) / 1000,
    };
  });
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { rounds: { type: 'string' }, modules: { type: 'string' }, versions: { type: 'string' }, requests: { type: 'string' } },
  });
  await runStandalone(() =>
    startup({
      ...(values.rounds !== undefined && { rounds: Number(values.rounds) }),
      ...(values.modules !== undefined && { modules: Number(values.modules) }),
      ...(values.versions !== undefined && { versions: Number(values.versions) }),
      ...(values.requests !== undefined && { requests: Number(values.requests) }),
    }),
  );
}
