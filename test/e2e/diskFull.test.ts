// A full disk is the proxy's own failure, never the upstream's: on a store that is really full (a
// small tmpfs, filled to the last byte) the client gets a 507 that says so, the next `|` upstream
// is not asked, nothing is left in staging, /readyz fails — and all of it recovers once there is
// space again. A cold .info is the exception: it is answered once checked and stored after, so
// on a full disk it is served, not kept, and logged; with space again it is fetched and stored.
// Mounting needs root (CI runs as root); elsewhere the suite is skipped and says why.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goModDownloadJson, makeGoHome, makeTempDir, removeTempDir } from '../fixtures/goCommand.ts';
import { h1ZipHash, moduleFile, writeModuleTree, type FixtureModule } from '../fixtures/moduleTree.ts';
import { startUpstream, type Upstream } from '../fixtures/upstreamServer.ts';
import { stagedFiles, startTestProxy, type TestProxy } from './harness.ts';

const run = promisify(execFile);
const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn('diskFull.test.ts skipped: mounting a tmpfs for a really full store needs root (CI runs as root)');

// Random bytes do not compress: the zip is about as large as the file.
const big: FixtureModule = { path: 'github.com/acme/bigfile', version: 'v1.0.0', files: { 'big.go': 'package bigfile\n', 'data.bin': randomBytes(1 << 20) } };
const small: FixtureModule = { path: 'github.com/acme/smallfile', version: 'v1.0.0', files: { 'small.go': 'package smallfile\n' } };

describe.skipIf(!isRoot)('a full disk', () => {
  let mountPoint: string;
  let tree: string;
  let first: Upstream;
  let second: Upstream;
  let proxy: TestProxy;
  const filler = () => join(mountPoint, 'filler');
  const logLines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) });

  /** Writes until the file system refuses: the disk is then full to the last byte. */
  async function fillDisk(): Promise<void> {
    const handle = await open(filler(), 'w');
    const chunk = Buffer.alloc(64 << 10, 1);
    try {
      for (;;) await handle.write(chunk);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
    } finally {
      await handle.close().catch(() => {});
    }
  }

  beforeAll(async () => {
    mountPoint = await makeTempDir('gomodproxy-full-');
    await run('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'gomodproxy-test', mountPoint]);
    tree = await makeTempDir('gomodproxy-full-tree-');
    await writeModuleTree(tree, [big, small]);
    first = await startUpstream(tree);
    second = await startUpstream(tree);
    await mkdir(join(mountPoint, 'store'));
    proxy = await startTestProxy({ upstream: `${first.url}|${second.url}`, storagePath: join(mountPoint, 'store'), logger });
    await fillDisk();
  });

  afterAll(async () => {
    await proxy?.dispose();
    await first?.close();
    await second?.close();
    await run('umount', [mountPoint]).catch(() => run('umount', ['-l', mountPoint]));
    await removeTempDir(mountPoint);
    await removeTempDir(tree);
  });

  const url = (m: FixtureModule, ext: 'info' | 'mod' | 'zip') => `${proxy.url}/${moduleFile('', m, ext).replace(/^\//, '')}`;

  it('a cold .info is answered once checked, though it cannot be stored: the log says so, and nothing is kept', async () => {
    const response = await fetch(url(big, 'info'));
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(await readFile(moduleFile(tree, big, 'info'), 'utf8'));
    await proxy.modules.settle();
    expect(await proxy.storage.stat(`github.com/acme/bigfile/@v/${big.version}.info`)).toBeNull();
    const failure = logLines.find((line) => line['msg'] === 'could not store a .info already answered from upstream; nothing was kept, and the next request for it fetches it again');
    expect(failure).toMatchObject({ level: 50, module: big.path, version: big.version, code: 'STORAGE_FULL' });
    expect(failure?.['reason']).toMatch(/the proxy's storage is full \(ENOSPC/);
  });

  it.each(['mod', 'zip'] as const)('a .%s that cannot be stored is a 507 saying the storage is full', async (ext) => {
    const response = await fetch(url(big, ext));
    const body = await response.text();
    expect(response.status, body).toBe(507);
    expect(body).toMatch(/the proxy's storage is full \(ENOSPC/);
    expect(body).not.toContain(mountPoint);
    expect(body).not.toMatch(/127\.0\.0\.1/);
  });

  it('does not fall back to the next upstream: the first one answered', () => {
    expect(first.count('bigfile/@v/v1.0.0.zip')).toBe(1);
    expect(second.count()).toBe(0);
  });

  it('serves a list the upstream answered, though it cannot keep a copy', async () => {
    const response = await fetch(`${proxy.url}/github.com/acme/bigfile/@v/list`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('v1.0.0\n');
  });

  it('leaves nothing in staging', async () => {
    expect(await stagedFiles(proxy.storagePath)).toEqual([]);
  });

  it('the go command shows the reason', async () => {
    const home = await makeGoHome({ goproxy: proxy.url });
    try {
      const [result] = await goModDownloadJson([`${small.path}@${small.version}`], { env: home.env });
      expect(result!.Error).toMatch(/507 Insufficient Storage/);
      expect(result!.Error).toMatch(/storage is full/);
    } finally {
      await home.dispose();
    }
  });

  it('/readyz fails while the store cannot be written, and recovers when it can', async () => {
    const full = await fetch(`${proxy.url}/readyz`);
    expect(full.status).toBe(503);
    expect(await full.text()).toMatch(/storage cannot be used \(ENOSPC/);
    await rm(filler());
    const freed = await fetch(`${proxy.url}/readyz`);
    expect(freed.status).toBe(200);
  });

  it('with space again, the go command downloads the module; the .info that could not be kept is fetched again and stored', async () => {
    const infoRequests = first.count('bigfile/@v/v1.0.0.info');
    const home = await makeGoHome({ goproxy: proxy.url });
    try {
      const [result] = await goModDownloadJson([`${big.path}@${big.version}`], { env: home.env });
      expect(result!.Error).toBeUndefined();
      expect(result!.Sum).toBe(h1ZipHash(big));
      expect(await readFile(result!.Info!, 'utf8')).toBe(await readFile(moduleFile(tree, big, 'info'), 'utf8'));
    } finally {
      await home.dispose();
    }
    expect(first.count('bigfile/@v/v1.0.0.info')).toBe(infoRequests + 1);
    await proxy.modules.settle();
    expect((await proxy.storage.readBytes(`github.com/acme/bigfile/@v/${big.version}.info`))?.toString()).toBe(await readFile(moduleFile(tree, big, 'info'), 'utf8'));
    expect(second.count()).toBe(0);
  });
});
