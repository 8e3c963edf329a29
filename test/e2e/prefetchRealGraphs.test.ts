// Real module graphs: pinned go.mod and go.sum files of well-known projects (test/fixtures/moduleGraphs:
// cobra v1.8.1, a go 1.15 module whose graph is read whole; prometheus/client_golang v1.20.5 with an
// exclude; gin v1.10.0), read by `go mod download all` and by `gomodproxy prefetch go.mod` from one
// upstream: both must ask it for the same .info, .mod and .zip files. Then a proxy with no upstream
// at all serves `go mod download all` from what prefetch stored, every hash checked against go.sum.
//
// The upstream serves a module cache that the go command fills from the registry it is configured for
// (its ordinary use, outside the proxy), kept in ~/.cache so that later runs need no registry at all.
import { cp } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeGoHome, makeTempDir, removeTempDir, runGo } from '../fixtures/goCommand.ts';
import { startUpstream, type Upstream } from '../fixtures/upstreamServer.ts';
import { askedBytes, compareDownloadAll } from './downloadAll.ts';
import { startTestProxy } from './harness.ts';

const GRAPHS = ['cobra', 'client_golang', 'gin'];
const graphFolder = (name: string) => join(import.meta.dirname, '..', 'fixtures', 'moduleGraphs', name);

/** Kept between runs, like any module cache. */
const graphCache = process.env['GOMODPROXY_GRAPH_MODCACHE'] ?? join(homedir(), '.cache', 'gomodproxy-module-graphs');

/** `go mod download all` for each graph with the machine's own go settings; a no-op once the cache holds them. */
async function fillGraphCache(): Promise<void> {
  for (const name of GRAPHS) {
    const work = await makeTempDir('gomodproxy-graph-fill-');
    try {
      await cp(graphFolder(name), work, { recursive: true });
      const env: NodeJS.ProcessEnv = { ...process.env, GOMODCACHE: graphCache, GOFLAGS: '-modcacherw -mod=mod', GOTOOLCHAIN: 'local', GOWORK: 'off' };
      await runGo(['mod', 'download', 'all'], { cwd: work, env, timeoutMs: 300_000 });
    } finally {
      await removeTempDir(work);
    }
  }
}

describe('prefetch on real module graphs', () => {
  let upstream: Upstream;
  const download = join(graphCache, 'cache', 'download');

  beforeAll(async () => {
    await fillGraphCache();
    upstream = await startUpstream(download);
  }, 600_000);
  afterAll(async () => {
    await upstream?.close();
  });

  it.each(GRAPHS)('%s: prefetch asks for what go mod download all asks for, and a proxy serves that from the store alone', { timeout: 300_000 }, async (name) => {
    const compared = await compareDownloadAll(graphFolder(name), 'go.mod', upstream);
    try {
      expect(compared.prefetchRun.stdout).toMatch(/, 0 failed\n$/);
      expect(compared.prefetchRun.code).toBe(0);
      expect(compared.go.zip.length).toBeGreaterThan(0);
      expect(compared.prefetch).toEqual(compared.go);
      const bytes = await askedBytes(download, compared.go);
      console.log(`${name}: go mod download all and prefetch each asked for ${compared.go.mod.length} .mod, ${compared.go.zip.length} .zip, ${compared.go.info.length} .info (${(bytes / 2 ** 20).toFixed(1)} MiB)`);

      const proxy = await startTestProxy({ upstream: 'off', storagePath: compared.store });
      const home = await makeGoHome({ goproxy: proxy.url, extra: { GOFLAGS: '-modcacherw -mod=mod' } });
      const work = join(home.home, 'main');
      try {
        await cp(graphFolder(name), work, { recursive: true });
        await runGo(['mod', 'download', 'all'], { cwd: work, env: home.env, timeoutMs: 300_000 });
      } finally {
        await home.dispose();
        await proxy.dispose();
      }
    } finally {
      await compared.dispose();
    }
  });
});
