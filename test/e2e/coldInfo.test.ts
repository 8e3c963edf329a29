// A cold .info is answered as soon as it is fetched and checked, and stored after (the go command
// asks one .info after another, so a store on each answer's path lengthens its whole chain). The
// go command is the client; the store is the real disk store, whose .info writes the test holds
// back (a store slower than the answer) until it lets them go.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Storage } from '../../proxy/storage/index.ts';
import { goModDownloadJson, makeGoHome, removeTempDir } from '../fixtures/goCommand.ts';
import { h1ZipHash, moduleFile, writeModuleTree, type FixtureModule } from '../fixtures/moduleTree.ts';
import { startUpstream, type Upstream } from '../fixtures/upstreamServer.ts';
import { startTestProxy, tempFolder, type TestProxy } from './harness.ts';

const modules: FixtureModule[] = ['v1.0.0', 'v1.1.0'].map((version) => ({
  path: 'github.com/acme/coldinfo',
  version,
  files: { 'coldinfo.go': 'package coldinfo\n' },
}));
const infoKey = (m: FixtureModule) => `github.com/acme/coldinfo/@v/${m.version}.info`;

/**
 * Holds every .info write of `storage` back until release() (the rest of the store is untouched);
 * `held` names the writes that reached the store, `stored` those that ended.
 */
function holdInfoStores(storage: Storage): { held: string[]; stored: string[]; release(): void } {
  const putImmutable = storage.putImmutable.bind(storage);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const held: string[] = [];
  const stored: string[] = [];
  storage.putImmutable = async (key, data) => {
    if (!key.endsWith('.info')) return putImmutable(key, data);
    held.push(key);
    await gate;
    const written = await putImmutable(key, data);
    stored.push(key);
    return written;
  };
  return { held, stored, release };
}

describe('a cold .info through the go command', () => {
  let tree: { path: string; dispose(): Promise<void> };
  let upstream: Upstream;

  beforeAll(async () => {
    tree = await tempFolder('gomodproxy-coldinfo-tree-');
    await writeModuleTree(tree.path, modules);
    upstream = await startUpstream(tree.path);
  });

  afterAll(async () => {
    await upstream?.close();
    await tree?.dispose();
  });

  /** `go mod download -json` of one version into a fresh module cache; the result and the .info the go command kept. */
  async function download(proxy: TestProxy, m: FixtureModule): Promise<string> {
    const home = await makeGoHome({ goproxy: proxy.url });
    try {
      const [result] = await goModDownloadJson([`${m.path}@${m.version}`], { env: home.env });
      expect(result!.Error).toBeUndefined();
      expect(result!.Sum).toBe(h1ZipHash(m));
      return await readFile(result!.Info!, 'utf8');
    } finally {
      await home.dispose();
    }
  }

  it('is served before the proxy has stored it, is stored after, and is then served from storage', async () => {
    const proxy = await startTestProxy({ upstream: upstream.url });
    try {
      const [m] = modules as [FixtureModule];
      const upstreamInfo = await readFile(moduleFile(tree.path, m, 'info'), 'utf8');
      const hold = holdInfoStores(proxy.storage);
      // The whole download (.info, .mod, .zip) ends while the .info's store is held.
      expect(await download(proxy, m)).toBe(upstreamInfo);
      expect(hold.held).toEqual([infoKey(m)]);
      expect(await proxy.storage.stat(infoKey(m))).toBeNull();

      hold.release();
      await proxy.modules.settle();
      expect((await proxy.storage.readBytes(infoKey(m)))?.toString()).toBe(upstreamInfo);
      const asked = upstream.count(`${m.version}.info`);
      expect(await download(proxy, m)).toBe(upstreamInfo);
      expect(upstream.count(`${m.version}.info`)).toBe(asked);
    } finally {
      await proxy.dispose();
    }
  });

  it('shutdown waits for a .info store under way', async () => {
    const proxy = await startTestProxy({ upstream: upstream.url });
    const m = modules[1]!;
    const hold = holdInfoStores(proxy.storage);
    expect(await download(proxy, m)).toBe(await readFile(moduleFile(tree.path, m, 'info'), 'utf8'));
    let closed = false;
    const closing = proxy.close().then(() => {
      closed = true;
      return [...hold.stored];
    });
    // However long it is given, close() cannot end while the store is held.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(closed).toBe(false);
    hold.release();
    // When close() ends, the store has ended.
    expect(await closing).toEqual([infoKey(m)]);
    expect(await readFile(`${proxy.storagePath}/${infoKey(m)}`, 'utf8')).toBe(await readFile(moduleFile(tree.path, m, 'info'), 'utf8'));
    await removeTempDir(proxy.storagePath);
    await removeTempDir(proxy.gitCacheDir);
  });
});
