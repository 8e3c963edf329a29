// A large zip's check, and what it costs the other requests:
//
//   node bench/largeZipCheck.ts [--rounds 5] [--megabytes 70] [--files 18000] [--delay-ms 20]
//
// A synthetic module (example.com/bigcheck v1.0.0: `files` incompressible files, `megabytes`
// of zip, the size of the largest real zips) and a small one (example.com/small v1.0.0, a few
// KiB), in a GOPROXY tree served by a node:http static server on 127.0.0.1 with +delayMs per
// request. Figures:
//   - the check itself: checkZipFile of the large zip (in its worker thread), median of rounds,
//     its h1 compared with the one the fixtures compute;
//   - a small miss alone vs during a large check: `GET` of the small .zip through a new proxy
//     with an empty store, alone, and started when the proxy has the whole large zip staged (its
//     check is then running); sides alternate round by round. Target: during / alone ≤ 1.2.

import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { checkZipFile } from '../proxy/modzip/index.ts';
import { makeTempDir, removeTempDir } from '../test/fixtures/goCommand.ts';
import { h1ZipHash, moduleFile, pseudoRandomBytes, writeModuleTree, type FixtureModule } from '../test/fixtures/moduleTree.ts';
import { withCleanup } from './cleanup.ts';
import { sleep, spawnProxyProcess, spawnStaticFileServer } from './processes.ts';
import { median, progress, runStandalone, sideBySide, type BenchResult } from './results.ts';

export type LargeZipCheckOptions = { rounds: number; megabytes: number; files: number; delayMs: number };

export const largeZipCheckDefaults: LargeZipCheckOptions = { rounds: 5, megabytes: 70, files: 18_000, delayMs: 20 };

/** A module of `files` incompressible files adding up to about `megabytes` MiB. */
function manyFilesModule(megabytes: number, files: number): FixtureModule {
  const path = 'example.com/bigcheck';
  const version = 'v1.0.0';
  const perFile = Math.floor((megabytes << 20) / files) - 120; // less the zip's headers per entry
  const content: Record<string, Uint8Array> = {};
  for (let i = 0; i < files; i++) {
    content[`pkg${String(Math.floor(i / 100)).padStart(3, '0')}/file${String(i).padStart(5, '0')}.bin`] = pseudoRandomBytes(perFile, `${path}/${i}`);
  }
  return { path, version, files: content };
}

const smallModule: FixtureModule = {
  path: 'example.com/small',
  version: 'v1.0.0',
  files: { 'small.go': 'package small\n\n// Answer is small.\nconst Answer = 42\n', LICENSE: 'MIT (fixture text)\n' },
};

export function largeZipCheck(options: Partial<LargeZipCheckOptions> = {}): Promise<BenchResult> {
  const { rounds, megabytes, files, delayMs } = { ...largeZipCheckDefaults, ...options };
  const began = performance.now();
  return withCleanup(async (cleanup) => {
    progress(`large zip check: writing a ${megabytes} MiB zip of ${files} files`);
    const big = manyFilesModule(megabytes, files);
    const tree = await cleanup.tempFolder('gomodproxy-bench-bigcheck-');
    await writeModuleTree(tree, [big, smallModule]);
    const bigZip = moduleFile(tree, big, 'zip');
    const bigZipBytes = (await stat(bigZip)).size;
    const expectedHash = h1ZipHash(big);
    const notes: string[] = [];

    const checkSeconds: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const started = performance.now();
      const summary = await checkZipFile(bigZip, big);
      checkSeconds.push((performance.now() - started) / 1000);
      if (summary.hash !== expectedHash) throw new Error(`h1 of the large zip is ${summary.hash}, the fixtures say ${expectedHash}`);
    }
    progress(`large zip check: checkZipFile ${checkSeconds.map((s) => s.toFixed(2)).join(', ')} s`);

    const upstream = await spawnStaticFileServer(cleanup, tree, delayMs);
    const smallPath = `/${smallModule.path}/@v/${smallModule.version}.zip`;
    const bigPath = `/${big.path}/@v/${big.version}.zip`;
    /** Seconds to GET path from the proxy at url, the body read to its end. */
    const get = async (url: string, path: string): Promise<number> => {
      const started = performance.now();
      const response = await request(url + path);
      await response.body.dump({ limit: 1 << 30 });
      if (response.statusCode !== 200) throw new Error(`GET ${path}: ${response.statusCode}`);
      return (performance.now() - started) / 1000;
    };
    const alone: number[] = [];
    const during: number[] = [];
    const bigMiss: number[] = [];
    for (let round = 0; round < rounds; round++) {
      for (const side of round % 2 === 0 ? ['alone', 'during'] : ['during', 'alone']) {
        const store = await makeTempDir('gomodproxy-bench-store-');
        const proxy = await spawnProxyProcess(cleanup, { upstream: upstream.url, storagePath: store });
        try {
          if (side === 'alone') {
            alone.push(await get(proxy.url, smallPath));
          } else {
            const bigDone = get(proxy.url, bigPath);
            await whenStaged(store, bigZipBytes);
            during.push(await get(proxy.url, smallPath));
            bigMiss.push(await bigDone);
          }
        } finally {
          await proxy.stop();
          await removeTempDir(store);
        }
      }
      progress(`large zip check: round ${round + 1}/${rounds}: small miss alone ${alone.at(-1)!.toFixed(3)} s, during a large check ${during.at(-1)!.toFixed(3)} s`);
    }

    return {
      name: 'bigcheck',
      title: 'A large zip check, and a small miss during it',
      setup:
        `A synthetic module zip of ${(bigZipBytes / 2 ** 20).toFixed(1)} MiB and ${files} files (incompressible content) and a small module, served by a node:http static server on 127.0.0.1 with +${delayMs} ms per request. ` +
        `The check: checkZipFile in the benchmark process (the check runs in a worker thread), median of ${rounds}; its h1 equals the fixtures'. ` +
        `The small miss: GET of the small .zip through a new proxy process with an empty store, alone or started as soon as the large zip is fully staged (its check running), sides alternating, median of ${rounds}. ` +
        `A miss of the large zip took ${median(bigMiss).toFixed(2)} s (median) through the proxy.`,
      measurements: [
        { measure: `checkZipFile of a ${(bigZipBytes / 2 ** 20).toFixed(0)} MiB, ${files}-file zip`, unit: 's', value: median(checkSeconds), samples: checkSeconds, target: { on: 'value', atMost: 5 } },
        sideBySide({ measure: 'small `.zip` miss during a large zip\'s check vs alone', unit: 's', baselineName: 'alone', target: { on: 'ratio', atMost: 1.2 } }, during, alone),
      ],
      notes,
      seconds: (performance.now() - began) / 1000,
    };
  });
}

/** Resolves once a file of `bytes` bytes is in the store's staging folder: the download is complete and its check begins. */
async function whenStaged(store: string, bytes: number): Promise<void> {
  const staging = join(store, '.staging');
  for (;;) {
    const entries = await readdir(staging, { recursive: true, withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      const size = await stat(join(entry.parentPath, entry.name)).then((s) => s.size, () => 0);
      if (size === bytes) return;
    }
    await sleep(2);
  }
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { rounds: { type: 'string' }, megabytes: { type: 'string' }, files: { type: 'string' }, 'delay-ms': { type: 'string' } } });
  await runStandalone(() =>
    largeZipCheck({
      ...(values.rounds !== undefined && { rounds: Number(values.rounds) }),
      ...(values.megabytes !== undefined && { megabytes: Number(values.megabytes) }),
      ...(values.files !== undefined && { files: Number(values.files) }),
      ...(values['delay-ms'] !== undefined && { delayMs: Number(values['delay-ms']) }),
    }),
  );
}
