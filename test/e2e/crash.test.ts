// Kill the proxy (SIGKILL) in the middle of many downloads, start it again on the same store, and
// prove that every stored entry is complete and verifies, and that nothing half-written is served.
import { readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkZipFile } from '../../proxy/modzip/index.ts';
import { goModDownloadJson, makeGoHome } from '../fixtures/goCommand.ts';
import { bigZipModule, escapeCase, goModText, h1ZipHash, largeCorpus, moduleFile, writeModuleTree, type FixtureModule } from '../fixtures/moduleTree.ts';
import { startUpstream, type Upstream } from '../fixtures/upstreamServer.ts';
import { spawnProxy, stagedFiles, tempFolder } from './harness.ts';

async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(root, join(e.parentPath, e.name)));
}

describe('crash safety', () => {
  const corpus: FixtureModule[] = [...largeCorpus(160), bigZipModule(40 << 20)];
  const byKey = new Map(corpus.map((m) => [`${escapeCase(m.path)}/@v/${escapeCase(m.version)}`, m]));
  let tree: { path: string; dispose(): Promise<void> };
  let store: { path: string; dispose(): Promise<void> };
  let upstream: Upstream;

  beforeAll(async () => {
    tree = await tempFolder('gomodproxy-crash-corpus-');
    store = await tempFolder('gomodproxy-crash-store-');
    await writeModuleTree(tree.path, corpus);
    upstream = await startUpstream(tree.path);
    // Every third zip answers slowly, so that many downloads are in flight at the kill.
    let n = 0;
    upstream.fail((path) => path.endsWith('.zip') && n++ % 3 === 0, { delayMs: 150 });
  });
  afterAll(async () => {
    await upstream.close();
    await store.dispose();
    await tree.dispose();
  });

  it('leaves only complete, verified entries after SIGKILL mid-download', async () => {
    const env = { GOMODPROXY_UPSTREAM: upstream.url, GOMODPROXY_STORAGE_PATH: store.path };
    const first = await spawnProxy(env);
    const paths = corpus.flatMap((m) => (['info', 'mod', 'zip'] as const).map((ext) => moduleFile('', m, ext)));
    // The big zip first, so that it is mid-stream when the kill comes.
    paths.sort((a, b) => Number(b.includes('bigzip')) - Number(a.includes('bigzip')));
    let completed = 0;
    let index = 0;
    const worker = async () => {
      while (index < paths.length) {
        const path = paths[index++]!;
        try {
          const response = await request(`${first.url}/${path}`);
          await response.body.dump({ limit: 100 << 20 });
          completed++;
        } catch {
          return; // the proxy is gone
        }
      }
    };
    const workers = Array.from({ length: 16 }, worker);
    // Kill once a third is done and a download is being written (a staged file exists).
    let stagedAtKill = 0;
    while (index < paths.length) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      if (completed < paths.length / 3) continue;
      stagedAtKill = (await stagedFiles(store.path)).length;
      if (stagedAtKill > 0) break;
    }
    first.child.kill('SIGKILL');
    expect(stagedAtKill, 'a download was being written when the proxy was killed').toBeGreaterThan(0);
    await Promise.all(workers);
    await new Promise((resolve) => first.child.exitCode !== null || first.child.signalCode !== null ? resolve(null) : first.child.once('exit', resolve));
    expect(completed).toBeLessThan(paths.length);

    // What is in the store now is whole: zips verify with the right sum, .info and .mod are byte-exact.
    // Module files only: the proxy's own records (gomodproxy/, the download log written on an
    // interval) are not part of this check.
    const stored = (await filesUnder(store.path)).filter((f) => !f.startsWith('.staging') && !f.startsWith('gomodproxy/'));
    const zips = stored.filter((f) => f.endsWith('.zip'));
    expect(zips.length).toBeGreaterThan(0);
    for (const file of stored) {
      const key = file.replace(/\.(info|mod|zip|ziphash|provenance)$/, '');
      const m = byKey.get(key);
      if (file.endsWith('/@v/list')) continue;
      expect(m, `unexpected file in the store: ${file}`).toBeDefined();
      if (file.endsWith('.zip')) {
        const summary = await checkZipFile(join(store.path, file), { path: m!.path, version: m!.version });
        expect(summary.hash, file).toBe(h1ZipHash(m!));
      } else if (file.endsWith('.ziphash')) {
        expect(await readFile(join(store.path, file), 'utf8')).toBe(h1ZipHash(m!));
      } else if (file.endsWith('.mod')) {
        expect(await readFile(join(store.path, file), 'utf8')).toBe(goModText(m!));
      } else if (file.endsWith('.provenance')) {
        expect(JSON.parse(await readFile(join(store.path, file), 'utf8')).source, file).toBe('upstream');
      } else {
        expect(JSON.parse(await readFile(join(store.path, file), 'utf8')).Version).toBe(m!.version);
      }
    }

    // Restarted on the same store, it serves every version with the right sums.
    const second = await spawnProxy(env);
    // What the killed process was writing is gone as soon as the next one has started.
    expect(await stagedFiles(store.path)).toEqual([]);
    const home = await makeGoHome({ goproxy: second.url });
    try {
      const results = await goModDownloadJson(corpus.map((m) => `${m.path}@${m.version}`), { env: home.env });
      expect(results).toHaveLength(corpus.length);
      for (const result of results) {
        expect(result.Error, `${result.Path}@${result.Version}`).toBeUndefined();
        expect(result.Sum).toBe(h1ZipHash(byKey.get(`${escapeCase(result.Path)}/@v/${escapeCase(result.Version)}`)!));
      }
    } finally {
      await home.dispose();
      await second.stop();
    }
  });
});
