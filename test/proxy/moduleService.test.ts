// The module service (proxy/moduleService.ts) against a real test upstream on 127.0.0.1 and a disk
// store: one upstream fetch per file however many ask at once, list answers reused for the TTL,
// stale answers when every upstream fails, and a memory bound that large lists cannot pass.
import fs from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryCache } from '../../proxy/memoryCache.ts';
import { ModuleService } from '../../proxy/moduleService.ts';
import { sourceChainFromSetting } from '../../proxy/sources/index.ts';
import { DiskStorage, versionKey } from '../../proxy/storage/index.ts';
import { makeTempDir, removeTempDir } from '../fixtures/goCommand.ts';
import { goModText, writeModuleTree, type FixtureModule } from '../fixtures/moduleTree.ts';
import { startUpstream, type Upstream } from '../fixtures/upstreamServer.ts';

const MiB = 1 << 20;
const modulePath = 'github.com/acme/service';
const modules: FixtureModule[] = ['v1.0.0', 'v1.1.0'].map((version) => ({
  path: modulePath,
  version,
  files: { 'service.go': 'package service\n' },
}));
const listTtlMs = 60_000;

let tree: string;
let upstream: Upstream;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  tree = await makeTempDir('gomodproxy-service-tree-');
  await writeModuleTree(tree, modules);
  upstream = await startUpstream(tree);
});

afterAll(async () => {
  await upstream?.close();
  if (tree) await removeTempDir(tree);
});

afterEach(async () => {
  upstream.clearFailures();
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A module service over a fresh disk store, asking the test upstream; `clock` moves its time. */
async function newService(options: { memoryCacheBytes?: number; storageDir?: string } = {}) {
  const dir = options.storageDir ?? (await makeTempDir('gomodproxy-service-store-'));
  if (!options.storageDir) cleanups.push(() => removeTempDir(dir));
  const storage = new DiskStorage(dir);
  await storage.open();
  const memoryCache = new MemoryCache(options.memoryCacheBytes ?? 64 * MiB);
  const clock = { now: 1_000_000 };
  const service = new ModuleService({
    storage,
    upstream: sourceChainFromSetting(upstream.url, { timeoutMs: 30_000 }),
    privatePatterns: [],
    listTtlMs,
    logger: pino({ level: 'silent' }),
    memoryCache,
    now: () => clock.now,
  });
  return { service, storage, memoryCache, clock, dir };
}

describe('single flight', () => {
  it('asks the upstream once for a .mod however many ask at once, and every caller gets it', async () => {
    const { service } = await newService();
    // The upstream holds its answer so that every caller arrives while the first fetch runs.
    upstream.fail((p) => p.endsWith('v1.0.0.mod'), { delayMs: 500 }, { times: 1 });
    const before = upstream.count('v1.0.0.mod');
    const answers = await Promise.all(Array.from({ length: 8 }, () => service.mod(modulePath, 'v1.0.0')));
    expect(upstream.count('v1.0.0.mod') - before).toBe(1);
    for (const answer of answers) expect(answer.body.toString()).toBe(goModText(modules[0]!));
    expect(answers.every((a) => a.cache === 'miss')).toBe(true);
  });

  it('asks the upstream once for a .zip, and each caller reads the stored file with its own stream', async () => {
    const { service } = await newService();
    upstream.fail((p) => p.endsWith('v1.1.0.zip'), { delayMs: 500 }, { times: 1 });
    const before = upstream.count('v1.1.0.zip');
    const answers = await Promise.all(Array.from({ length: 6 }, () => service.zip(modulePath, 'v1.1.0')));
    expect(upstream.count('v1.1.0.zip') - before).toBe(1);
    const upstreamZip = await fs.readFile(join(tree, modulePath, '@v', 'v1.1.0.zip'));
    for (const answer of answers) {
      const chunks: Buffer[] = [];
      for await (const chunk of answer.object.stream()) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks).equals(upstreamZip)).toBe(true);
      expect(answer.hash).toMatch(/^h1:/);
      await answer.object.close();
    }
    // A later request is served from storage without asking.
    const later = await service.zip(modulePath, 'v1.1.0');
    await later.object.close();
    expect(later.cache).toBe('hit');
    expect(upstream.count('v1.1.0.zip') - before).toBe(1);
  });

  it('does not remember a failure: the next request asks again', async () => {
    const { service } = await newService();
    upstream.fail((p) => p.endsWith('v1.0.0.info'), { status: 500 }, { times: 1 });
    await expect(service.info(modulePath, 'v1.0.0')).rejects.toMatchObject({ code: 'UPSTREAM_FAILED' });
    const answer = await service.info(modulePath, 'v1.0.0');
    expect(JSON.parse(answer.body.toString()).Version).toBe('v1.0.0');
  });
});

describe('list answers: reused for the TTL, stale when every upstream fails', () => {
  it('reuses an upstream list within the TTL and asks again after it', async () => {
    const { service, clock } = await newService();
    const before = upstream.count('/@v/list');
    expect((await service.list(modulePath)).cache).toBe('miss');
    clock.now += listTtlMs - 1;
    const reused = await service.list(modulePath);
    expect(reused.cache).toBe('hit');
    expect(reused.body.toString()).toBe('v1.0.0\nv1.1.0\n');
    expect(upstream.count('/@v/list') - before).toBe(1);
    clock.now += 1;
    expect((await service.list(modulePath)).cache).toBe('miss');
    expect(upstream.count('/@v/list') - before).toBe(2);
  });

  it('serves the last answer, marked stale with the reason and its age, when the upstream fails', async () => {
    const { service, clock } = await newService();
    const fetchedAt = clock.now;
    await service.list(modulePath);
    clock.now += listTtlMs * 10;
    upstream.fail((p) => p.endsWith('/@v/list'), { status: 503 });
    const stale = await service.list(modulePath);
    expect(stale.cache).toBe('stale');
    expect(stale.body.toString()).toBe('v1.0.0\nv1.1.0\n');
    expect(stale.staleReason).toMatch(/503/);
    expect(stale.staleSince?.getTime()).toBe(fetchedAt);
  });

  it('serves the answer kept in storage, stale, after a restart (nothing in memory)', async () => {
    const first = await newService();
    await first.service.list(modulePath);
    const restarted = await newService({ storageDir: first.dir });
    upstream.fail((p) => p.endsWith('/@v/list'), { status: 500 });
    const stale = await restarted.service.list(modulePath);
    expect(stale.cache).toBe('stale');
    expect(stale.body.toString()).toBe('v1.0.0\nv1.1.0\n');
    expect(stale.staleSince).toBeInstanceOf(Date);
  });

  it('answers from the versions in storage when the upstream fails and nothing was kept', async () => {
    const { service } = await newService();
    await service.mod(modulePath, 'v1.1.0');
    await service.info(modulePath, 'v1.1.0');
    upstream.fail((p) => p.endsWith('/@v/list') || p.endsWith('/@latest'), { status: 500 });
    const list = await service.list(modulePath);
    expect(list.cache).toBe('stale');
    expect(list.body.toString()).toBe('v1.1.0\n');
    const latest = await service.latest(modulePath);
    expect(JSON.parse(latest.body.toString()).Version).toBe('v1.1.0');
  });

  it('answers a 404 upstream from the versions in storage, not stale', async () => {
    const { service } = await newService();
    await service.mod(modulePath, 'v1.0.0');
    upstream.fail((p) => p.endsWith('/@v/list'), { status: 404 });
    const list = await service.list(modulePath);
    expect(list.cache).toBe('local');
    expect(list.body.toString()).toBe('v1.0.0\n');
  });
});

describe('memory bound (issue 13: memory grew with large lists)', () => {
  it('keeps the cache within its byte limit while 24 lists of ~11 MB pass through it', async () => {
    // One list of ~11 MB served under 24 module paths (symbolic links to the same file).
    // Long pre-release names keep the line count (and so the test's work) small for the bytes.
    const bigList = Buffer.from(Array.from({ length: 100_000 }, (_, i) => `v1.0.0-${'a'.repeat(100)}.${i}\n`).join(''));
    expect(bigList.length).toBeGreaterThan(11_000_000);
    const listFile = join(tree, 'big-list');
    await fs.writeFile(listFile, bigList);
    const paths = Array.from({ length: 24 }, (_, i) => `github.com/acme/biglist${i}`);
    for (const path of paths) {
      await fs.mkdir(join(tree, path, '@v'), { recursive: true });
      await fs.symlink(listFile, join(tree, path, '@v', 'list'));
    }
    const limit = 32 * MiB;
    const { service, memoryCache } = await newService({ memoryCacheBytes: limit });
    let highest = 0;
    for (const path of paths) {
      const answer = await service.list(path);
      expect(answer.body.length).toBe(bigList.length);
      highest = Math.max(highest, memoryCache.bytes);
      expect(memoryCache.bytes).toBeLessThanOrEqual(limit);
    }
    expect(highest).toBeLessThanOrEqual(limit);
    // The bound forgets old lists, not new ones: the last is still answered from memory.
    expect(memoryCache.bytes).toBeGreaterThan(bigList.length);
    expect((await service.list(paths.at(-1)!)).cache).toBe('hit');
  });
});

describe('storage first', () => {
  it('serves a stored .info and .mod without asking the upstream, from memory after the first read', async () => {
    const { service, storage } = await newService();
    const info = Buffer.from(JSON.stringify({ Version: 'v1.0.0', Time: '2024-01-01T00:00:00Z' }));
    await storage.putImmutable(versionKey(modulePath, 'v1.0.0', 'info'), info);
    const before = upstream.count();
    expect((await service.info(modulePath, 'v1.0.0')).body.equals(info)).toBe(true);
    await storage.delete(versionKey(modulePath, 'v1.0.0', 'info'));
    expect((await service.info(modulePath, 'v1.0.0')).cache).toBe('hit');
    expect(upstream.count()).toBe(before);
  });
});
