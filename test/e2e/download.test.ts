// The go command downloads and builds through the proxy, and gets exactly what it gets straight
// from the same files with GOPROXY=file://: the same versions, the same h1 sums.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkZipFile } from '../../proxy/modzip/index.ts';
import { fileProxyUrl, goModDownloadJson, makeGoHome, runGo, type GoHome, type GoModDownload } from '../fixtures/goCommand.ts';
import { standardCorpus, writeModuleTree, type FixtureModule } from '../fixtures/moduleTree.ts';
import { startUpstream, type Upstream } from '../fixtures/upstreamServer.ts';
import { buildAndRunProgram, startTestProxy, tempFolder, type TestProxy } from './harness.ts';

describe('go command through the proxy', () => {
  const corpus: FixtureModule[] = standardCorpus();
  const targets = corpus.map((m) => `${m.path}@${m.version}`);
  let tree: { path: string; dispose(): Promise<void> };
  let upstream: Upstream;
  let proxy: TestProxy;
  let expected: Map<string, GoModDownload>;

  beforeAll(async () => {
    tree = await tempFolder('gomodproxy-corpus-');
    await writeModuleTree(tree.path, corpus);
    upstream = await startUpstream(tree.path);
    proxy = await startTestProxy({ upstream: upstream.url });
    const direct = await makeGoHome({ goproxy: fileProxyUrl(tree.path) });
    try {
      const results = await goModDownloadJson(targets, { env: direct.env });
      expected = new Map(results.map((r) => [`${r.Path}@${r.Version}`, r]));
    } finally {
      await direct.dispose();
    }
  });

  afterAll(async () => {
    await proxy?.dispose();
    await upstream?.close();
    await tree?.dispose();
  });

  it(`downloads all ${standardCorpus().length} corpus versions with the sums go computes from the files`, async () => {
    expect(targets.length).toBeGreaterThanOrEqual(30);
    const home = await makeGoHome({ goproxy: proxy.url });
    try {
      const results = await goModDownloadJson(targets, { env: home.env });
      expect(results).toHaveLength(targets.length);
      for (const result of results) {
        const key = `${result.Path}@${result.Version}`;
        const want = expected.get(key);
        expect(want?.Error, `file:// download of ${key}`).toBeUndefined();
        expect(result.Error, `proxy download of ${key}`).toBeUndefined();
        expect(result.Sum, key).toBe(want!.Sum);
        expect(result.GoModSum, key).toBe(want!.GoModSum);
        expect(JSON.parse(await readFile(result.Info!, 'utf8')).Version).toBe(result.Version);
      }
    } finally {
      await home.dispose();
    }
  });

  it('keeps a store that verifies and works as GOPROXY=file:// on its own', async () => {
    // Every zip in the store passes the zip rules with the sum the go command computed.
    for (const m of corpus) {
      const want = expected.get(`${m.path}@${m.version}`)!;
      const escaped = want.Zip!.split('/cache/download/')[1]!;
      const stored = join(proxy.storagePath, escaped);
      const summary = await checkZipFile(stored, { path: m.path, version: m.version });
      expect(summary.hash, `${m.path}@${m.version}`).toBe(want.Sum);
    }
    const home = await makeGoHome({ goproxy: fileProxyUrl(proxy.storagePath) });
    try {
      const results = await goModDownloadJson(targets, { env: home.env });
      for (const result of results) {
        expect(result.Error, `${result.Path}@${result.Version} from the store as file://`).toBeUndefined();
        expect(result.Sum).toBe(expected.get(`${result.Path}@${result.Version}`)!.Sum);
      }
    } finally {
      await home.dispose();
    }
  });

  it('answers go list -m -versions and @latest as the files do', async () => {
    const modules = [...new Set(corpus.map((m) => m.path))];
    const throughProxy = await makeGoHome({ goproxy: proxy.url });
    const fromFiles = await makeGoHome({ goproxy: fileProxyUrl(tree.path) });
    try {
      for (const module of modules) {
        const args = ['list', '-m', '-versions', '-json', `${module}@latest`];
        const want = await runGo(args, { cwd: fromFiles.home, env: fromFiles.env, allowFailure: true });
        const got = await runGo(args, { cwd: throughProxy.home, env: throughProxy.env, allowFailure: true });
        expect(got.code, `${module}: ${got.stderr}`).toBe(want.code);
        if (want.code === 0) {
          const wantJson = JSON.parse(want.stdout);
          const gotJson = JSON.parse(got.stdout);
          expect(gotJson.Version, module).toBe(wantJson.Version);
          expect(gotJson.Versions, module).toEqual(wantJson.Versions);
          expect(gotJson.Retracted, module).toEqual(wantJson.Retracted);
        }
      }
    } finally {
      await throughProxy.dispose();
      await fromFiles.dispose();
    }
  });

  it('builds a program with several dependencies', async () => {
    const home = await makeGoHome({ goproxy: proxy.url });
    try {
      const { output, expected } = await buildAndRunProgram(join(home.home, 'program'), home.env);
      expect(output).toBe(expected);
    } finally {
      await home.dispose();
    }
  });

  it('serves cached modules and answers versions when every upstream is down', async () => {
    // Warm a dedicated proxy, then take its upstream away.
    const own = await startUpstream(tree.path);
    const offline = await startTestProxy({ upstream: own.url, listTtl: '1s', upstreamTimeout: '2s' });
    const warm = await makeGoHome({ goproxy: offline.url });
    const cold = await makeGoHome({ goproxy: offline.url });
    try {
      const some = targets.slice(0, 8);
      for (const r of await goModDownloadJson(some, { env: warm.env })) expect(r.Error).toBeUndefined();
      const module = corpus[0]!.path;
      await runGo(['list', '-m', '-versions', module], { cwd: warm.home, env: warm.env });
      await own.close();
      await new Promise((resolve) => setTimeout(resolve, 1100)); // let the list TTL pass

      for (const r of await goModDownloadJson(some, { env: cold.env })) {
        expect(r.Error, `${r.Path}@${r.Version} with the upstream down`).toBeUndefined();
        expect(r.Sum).toBe(expected.get(`${r.Path}@${r.Version}`)!.Sum);
      }
      const versions = await runGo(['list', '-m', '-versions', module], { cwd: cold.home, env: cold.env });
      const fromFiles = await makeGoHome({ goproxy: fileProxyUrl(tree.path) });
      const want = await runGo(['list', '-m', '-versions', module], { cwd: fromFiles.home, env: fromFiles.env });
      await fromFiles.dispose();
      expect(versions.stdout).toBe(want.stdout);

      const response = await fetch(`${offline.url}/${escape(module)}/@v/list`);
      expect(response.status).toBe(200);
      expect(response.headers.get('x-gomodproxy-stale')).toMatch(/reason=/);
    } finally {
      await warm.dispose();
      await cold.dispose();
      await offline.dispose();
      await own.close();
    }
  });

  it('asks the upstream once per file, then serves from storage', async () => {
    const before = upstream.count('.zip');
    const home = await makeGoHome({ goproxy: proxy.url });
    try {
      await goModDownloadJson(targets, { env: home.env });
    } finally {
      await home.dispose();
    }
    expect(upstream.count('.zip')).toBe(before);
    // One .zip request per version in all, from the first test.
    const zips = upstream.requests.filter((r) => r.path.endsWith('.zip'));
    expect(new Set(zips.map((r) => r.path)).size).toBe(zips.length);
  });
});

function escape(path: string): string {
  return path.replace(/[A-Z]/g, (c) => `!${c.toLowerCase()}`);
}
