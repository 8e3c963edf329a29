// The module service (proxy/moduleService.ts) against a real test upstream on 127.0.0.1 and a disk
// store: one upstream fetch per file however many ask at once, list answers reused for the TTL,
// stale answers when every upstream fails, and a memory bound that large lists cannot pass.
import fs from 'node:fs/promises';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { storageWriteFailure } from '../../proxy/errors.ts';
import { MemoryCache } from '../../proxy/memoryCache.ts';
import { ModuleService, type FetchAheadSetting } from '../../proxy/moduleService.ts';
import { sourceChainFromSetting } from '../../proxy/sources/index.ts';
import { DiskStorage, listKey, versionKey } from '../../proxy/storage/index.ts';
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
async function newService(
  options: { memoryCacheBytes?: number; storageDir?: string; fetchAhead?: FetchAheadSetting; storage?: (dir: string) => DiskStorage; logger?: Logger } = {},
) {
  const dir = options.storageDir ?? (await makeTempDir('gomodproxy-service-store-'));
  const storage = options.storage ? options.storage(dir) : new DiskStorage(dir);
  await storage.open();
  const memoryCache = new MemoryCache(options.memoryCacheBytes ?? 64 * MiB);
  const clock = { now: 1_000_000 };
  const service = new ModuleService({
    storage,
    upstream: sourceChainFromSetting(upstream.url, { timeoutMs: 30_000 }),
    privatePatterns: [],
    listTtlMs,
    logger: options.logger ?? pino({ level: 'silent' }),
    memoryCache,
    now: () => clock.now,
    ...(options.fetchAhead && { fetchAhead: options.fetchAhead }),
  });
  // Background work (list rewrites, fetches ahead) ends before the store is removed.
  cleanups.push(async () => {
    await service.settle();
    if (!options.storageDir) await removeTempDir(dir);
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
    // A cold .info is stored after it is answered.
    await service.settle();
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

describe('the stored list', () => {
  it('names every version whose .mod is stored once the background rewrite ends', async () => {
    const { service, storage } = await newService();
    await Promise.all([service.mod(modulePath, 'v1.1.0'), service.mod(modulePath, 'v1.0.0')]);
    await service.settle();
    expect((await storage.readBytes(listKey(modulePath)))?.toString()).toBe('v1.0.0\nv1.1.0\n');
  });
});

describe('fetch ahead: a cold .info fetches the version\'s .mod and .zip in the background', () => {
  /** Upstream requests for the files of v1.1.0 since `before`. */
  const counter = () => {
    const before = { info: upstream.count('v1.1.0.info'), mod: upstream.count('v1.1.0.mod'), zip: upstream.count('v1.1.0.zip') };
    return () => ({ info: upstream.count('v1.1.0.info') - before.info, mod: upstream.count('v1.1.0.mod') - before.mod, zip: upstream.count('v1.1.0.zip') - before.zip });
  };

  it('stores the .mod and .zip, so that the go command\'s next requests are hits', async () => {
    const { service, storage } = await newService({ fetchAhead: 'onInfo' });
    const asked = counter();
    expect((await service.info(modulePath, 'v1.1.0')).cache).toBe('miss');
    await service.settle();
    expect(asked()).toEqual({ info: 1, mod: 1, zip: 1 });
    expect(await storage.stat(versionKey(modulePath, 'v1.1.0', 'zip'))).not.toBeNull();
    expect((await service.mod(modulePath, 'v1.1.0')).cache).toBe('hit');
    const zip = await service.zip(modulePath, 'v1.1.0');
    await zip.object.close();
    expect(zip.cache).toBe('hit');
    expect(zip.hash).toMatch(/^h1:/);
    expect(asked()).toEqual({ info: 1, mod: 1, zip: 1 });
  });

  it('lets a client\'s .zip request during the background fetch join it: one upstream fetch', async () => {
    const { service } = await newService({ fetchAhead: 'onInfo' });
    let release!: () => void;
    upstream.fail((p) => p.endsWith('v1.1.0.zip'), { until: new Promise<void>((resolve) => (release = resolve)) }, { times: 1 });
    const asked = counter();
    await service.info(modulePath, 'v1.1.0');
    while (asked().zip === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const clientZip = service.zip(modulePath, 'v1.1.0');
    release();
    const answer = await clientZip;
    const chunks: Buffer[] = [];
    for await (const chunk of answer.object.stream()) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(await fs.readFile(join(tree, modulePath, '@v', 'v1.1.0.zip')))).toBe(true);
    await service.settle();
    expect(asked()).toEqual({ info: 1, mod: 1, zip: 1 });
  });

  it('leaves nothing behind when the background fetch fails: the client\'s request fetches again', async () => {
    const { service, storage } = await newService({ fetchAhead: 'onInfo' });
    upstream.fail((p) => p.endsWith('v1.1.0.zip'), { status: 500 }, { times: 1 });
    const asked = counter();
    await service.info(modulePath, 'v1.1.0');
    await service.settle();
    expect(asked().zip).toBe(1);
    expect(await storage.stat(versionKey(modulePath, 'v1.1.0', 'zip'))).toBeNull();
    const zip = await service.zip(modulePath, 'v1.1.0');
    await zip.object.close();
    expect(zip.cache).toBe('miss');
    expect(asked().zip).toBe(2);
  });

  it('never makes a refused zip visible, and the client is told why', async () => {
    const { service, storage } = await newService({ fetchAhead: 'onInfo' });
    upstream.fail((p) => p.endsWith('v1.1.0.zip'), { status: 200, body: 'not a zip at all' });
    await service.info(modulePath, 'v1.1.0');
    await service.settle();
    expect(await storage.stat(versionKey(modulePath, 'v1.1.0', 'zip'))).toBeNull();
    expect(await storage.stat(versionKey(modulePath, 'v1.1.0', 'ziphash'))).toBeNull();
    await expect(service.zip(modulePath, 'v1.1.0')).rejects.toMatchObject({ code: 'BAD_UPSTREAM_CONTENT' });
  });

  it('asks only the .mod more for a version that is not there', async () => {
    const { service } = await newService({ fetchAhead: 'onInfo' });
    const before = { info: upstream.count('v1.9.9.info'), mod: upstream.count('v1.9.9.mod'), zip: upstream.count('v1.9.9.zip') };
    await expect(service.info(modulePath, 'v1.9.9')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await service.settle();
    expect({ info: upstream.count('v1.9.9.info') - before.info, mod: upstream.count('v1.9.9.mod') - before.mod, zip: upstream.count('v1.9.9.zip') - before.zip }).toEqual({ info: 1, mod: 1, zip: 0 });
  });

  it('fetches the .mod while the client waits for the .info: its .mod request joins or hits', async () => {
    const { service } = await newService({ fetchAhead: 'onInfo' });
    let release!: () => void;
    upstream.fail((p) => p.endsWith('v1.1.0.info'), { until: new Promise<void>((resolve) => (release = resolve)) }, { times: 1 });
    const asked = counter();
    const info = service.info(modulePath, 'v1.1.0');
    while (asked().mod === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    release();
    await info;
    expect((await service.mod(modulePath, 'v1.1.0')).body.toString()).toBe(goModText(modules[1]!));
    await service.settle();
    expect(asked()).toEqual({ info: 1, mod: 1, zip: 1 });
  });

  it.each([
    ['onInfo', 'a cold .mod (go list -m all, go mod graph) fetches no zip', { info: 0, mod: 1, zip: 0 }],
    ['onMod', 'a cold .mod fetches the .info and .zip too', { info: 1, mod: 1, zip: 1 }],
  ] as const)('%s: %s', async (fetchAhead, _what, expected) => {
    const { service } = await newService({ fetchAhead });
    const asked = counter();
    await service.mod(modulePath, 'v1.1.0');
    await service.settle();
    expect(asked()).toEqual(expected);
  });

  it('off: a cold .info fetches only itself', async () => {
    const { service } = await newService({ fetchAhead: 'off' });
    const asked = counter();
    await service.info(modulePath, 'v1.1.0');
    await service.settle();
    expect(asked()).toEqual({ info: 1, mod: 0, zip: 0 });
  });
});

/**
 * A disk store whose stores of .info files wait until `release()` (and fail instead, as a full
 * disk does, while `failInfo` is set); everything else goes straight to the disk.
 */
class HeldInfoStorage extends DiskStorage {
  failInfo = false;
  private gate: Promise<void> = Promise.resolve();
  private letGo: () => void = () => {};

  hold(): void {
    this.gate = new Promise((resolve) => (this.letGo = resolve));
  }

  release(): void {
    this.letGo();
  }

  override async putImmutable(key: string, data: Uint8Array | { file: string }): Promise<boolean> {
    if (key.endsWith('.info')) {
      await this.gate;
      if (this.failInfo) throw storageWriteFailure(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }), `storing ${key}`);
    }
    return super.putImmutable(key, data);
  }
}

/** A logger at debug level that keeps its lines, parsed. */
function capturingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  return { logger: pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) }), lines };
}

describe('a cold .info is answered once checked, and stored after', () => {
  const infoKey = versionKey(modulePath, 'v1.1.0', 'info');
  const upstreamInfo = () => fs.readFile(join(tree, modulePath, '@v', 'v1.1.0.info'));

  it('answers before its store ends; a request meanwhile gets the same answer, later ones read the stored file', async () => {
    let held!: HeldInfoStorage;
    const { service, storage } = await newService({ storage: (dir) => (held = new HeldInfoStorage(dir)) });
    held.hold();
    const before = upstream.count('v1.1.0.info');
    const first = await service.info(modulePath, 'v1.1.0');
    expect(first.cache).toBe('miss');
    expect(first.body.equals(await upstreamInfo())).toBe(true);
    expect(await storage.stat(infoKey)).toBeNull();
    const meanwhile = await service.info(modulePath, 'v1.1.0');
    expect(meanwhile.body.equals(first.body)).toBe(true);
    expect(upstream.count('v1.1.0.info') - before).toBe(1);

    held.release();
    await service.settle();
    expect((await storage.readBytes(infoKey))?.equals(first.body)).toBe(true);
    const later = await service.info(modulePath, 'v1.1.0');
    expect(later.cache).toBe('hit');
    expect(later.body.equals(first.body)).toBe(true);
    expect(upstream.count('v1.1.0.info') - before).toBe(1);
  });

  it('settle() (what shutdown awaits) waits for a store under way', async () => {
    let held!: HeldInfoStorage;
    const { service, storage } = await newService({ storage: (dir) => (held = new HeldInfoStorage(dir)) });
    held.hold();
    await service.info(modulePath, 'v1.1.0');
    let settled = false;
    const settling = service.settle().then(() => (settled = true));
    // However long it is given, settle() cannot end while the store is held.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(settled).toBe(false);
    held.release();
    await settling;
    expect(await storage.stat(infoKey)).not.toBeNull();
  });

  it('a failed store is logged, keeps nothing, fetches no zip ahead; the next request fetches and stores the same .info', async () => {
    let held!: HeldInfoStorage;
    const { logger, lines } = capturingLogger();
    const { service, storage } = await newService({ fetchAhead: 'onInfo', logger, storage: (d) => (held = new HeldInfoStorage(d)) });
    held.failInfo = true;
    const before = { info: upstream.count('v1.1.0.info'), zip: upstream.count('v1.1.0.zip') };
    const answered = await service.info(modulePath, 'v1.1.0');
    expect(answered.body.equals(await upstreamInfo())).toBe(true);
    await service.settle();

    expect(await storage.stat(infoKey)).toBeNull();
    const failure = lines.find((line) => line['msg'] === 'could not store a .info already answered from upstream; nothing was kept, and the next request for it fetches it again');
    expect(failure).toMatchObject({ level: 50, module: modulePath, version: 'v1.1.0', kind: 'info', code: 'STORAGE_FULL' });
    expect(failure?.['reason']).toMatch(/storage is full/);
    // The zip fetched ahead waits for the .info's store, and is not fetched when it failed.
    expect(upstream.count('v1.1.0.zip') - before.zip).toBe(0);
    // The .mod fetched ahead is stored as ever.
    expect((await service.mod(modulePath, 'v1.1.0')).cache).toBe('hit');

    held.failInfo = false;
    const again = await service.info(modulePath, 'v1.1.0');
    expect(again.cache).toBe('miss');
    expect(again.body.equals(answered.body)).toBe(true);
    expect(upstream.count('v1.1.0.info') - before.info).toBe(2);
    await service.settle();
    expect((await storage.readBytes(infoKey))?.equals(answered.body)).toBe(true);
    const zip = await service.zip(modulePath, 'v1.1.0');
    await zip.object.close();
    expect(zip.hash).toMatch(/^h1:/);
  });
});
