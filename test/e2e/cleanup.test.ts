// `gomodproxy cleanup`, run as the installed command against the store of a proxy that is serving:
// it removes exactly the versions the rule names (not downloaded within --keep-since, not among
// the --keep-latest newest releases, not pinned), says what it removed and the bytes freed, keeps
// the store's version lists true, tears no download in progress, and a removed version is
// fetched again on the next request. With --termination-message it writes the report that the
// operator reads into status.lastCleanup: after a run that removed for real, never a dry run.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pseudoRandomBytes, writeModuleTree, type FixtureModule } from '../fixtures/moduleTree.ts';
import { startUpstream, type Upstream } from '../fixtures/upstreamServer.ts';
import { versionId, writeDownloadTimes } from '../../proxy/storage/index.ts';
import { runGomodproxy, startTestProxy, tempFolder, type TestProxy } from './harness.ts';

const kept = 'github.com/acme/kept';
const big = 'github.com/acme/big';
const other = 'github.com/acme/other';
const bigContent = pseudoRandomBytes(24 << 20, 'cleanup');
const modules: FixtureModule[] = [
  ...['v1.0.0', 'v1.1.0', 'v1.2.0', 'v1.3.0', 'v1.4.0', 'v1.5.0-beta.1', 'v1.4.1-0.20240102030405-abcdefabcdef'].map((version) => ({
    path: kept,
    version,
    files: { 'kept.go': `package kept\n\nconst V = "${version}"\n` },
  })),
  { path: big, version: 'v1.0.0', files: { 'big.go': 'package big\n', 'blob.bin': bigContent } },
  { path: big, version: 'v1.1.0', files: { 'big.go': 'package big\n' } },
  { path: big, version: 'v1.2.0', files: { 'big.go': 'package big\n' } },
  { path: other, version: 'v1.0.0', files: { 'other.go': 'package other\n' } },
];

type Summary = { dryRun: boolean; versions: number; kept: number; freedBytes: number; removed: Array<{ module: string; version: string; bytes: number }> };

describe('gomodproxy cleanup', () => {
  let tree: { path: string; dispose(): Promise<void> };
  let upstream: Upstream;
  let proxy: TestProxy;
  let store: { path: string; dispose(): Promise<void> };
  let reports: { path: string; dispose(): Promise<void> };

  const get = async (path: string) => {
    const response = await request(`${proxy.url}/${path}`);
    const body = Buffer.from(await response.body.arrayBuffer());
    expect(response.statusCode, path).toBe(200);
    return body;
  };
  const run = (args: string[]) => runGomodproxy(['cleanup', '--storage-path', proxy.storagePath, ...args]);

  beforeAll(async () => {
    tree = await tempFolder('gomodproxy-cleanup-tree-');
    await writeModuleTree(tree.path, modules);
    upstream = await startUpstream(tree.path);
    // The store is filled by prefetch (which records no download), then a month passes, written
    // as the journal a serving proxy writes; then kept@v1.1.0 is downloaded through the proxy.
    reports = await tempFolder('gomodproxy-cleanup-reports-');
    store = await tempFolder('gomodproxy-cleanup-store-');
    const filled = await runGomodproxy(['prefetch', '--storage-path', store.path, '--upstream', upstream.url, ...modules.map((m) => `${m.path}@${m.version}`)]);
    expect(filled.code, filled.stdout + filled.stderr).toBe(0);
    proxy = await startTestProxy({ upstream: upstream.url, storagePath: store.path, recordEvery: '100ms' });
    const monthAgo = Date.now() - 30 * 86_400_000;
    await writeDownloadTimes(proxy.storage, new Map(modules.map((m) => [versionId(m.path, m.version), monthAgo])), monthAgo);
    await get(`${kept}/@v/v1.1.0.zip`);
    await sleep(300);
  });
  afterAll(async () => {
    await proxy?.dispose();
    await store?.dispose();
    await upstream?.close();
    await tree?.dispose();
    await reports?.dispose();
  });

  const rule = ['--keep-since', '7d', '--keep-latest', '2', '--pin', `${kept}@v1.2.0`];
  const expectedRemoved = [
    `${big}@v1.0.0`,
    `${kept}@v1.0.0`,
    `${kept}@v1.4.1-0.20240102030405-abcdefabcdef`,
    `${kept}@v1.5.0-beta.1`,
  ];

  const removedForGood = [...expectedRemoved.slice(0, 2), `${kept}@v1.1.0`, ...expectedRemoved.slice(2)];

  it('with --dry-run says what it would remove and removes nothing', async () => {
    const report = join(reports.path, 'dry-run');
    const dry = await run([...rule, '--dry-run', '--json', '--termination-message', report]);
    expect(dry.code, dry.stderr).toBe(0);
    // A dry run removed nothing: it reports nothing.
    await expect(stat(report)).rejects.toMatchObject({ code: 'ENOENT' });
    const summary = JSON.parse(dry.stdout) as Summary;
    expect(summary.dryRun).toBe(true);
    expect(summary.removed.map((r) => `${r.module}@${r.version}`)).toEqual(expectedRemoved);
    expect(summary.versions).toBe(modules.length);
    expect(summary.freedBytes).toBeGreaterThan(bigContent.length / 2);
    expect(await proxy.storage.stat(`${kept}/@v/v1.0.0.zip`)).not.toBeNull();

    const text = await run([...rule, '--dry-run']);
    expect(text.stdout).toContain(`would remove ${kept}@v1.0.0 (`);
    // The journal's time, not the time stored.
    expect(text.stdout).toMatch(new RegExp(`would remove ${kept}@v1\\.0\\.0 \\([^)]*, last downloaded \\d{4}-`));
    expect(text.stdout, text.stdout).toMatch(/cleanup \(dry run\): 11 versions of 3 modules; would remove 4, kept 7; would free \d/);
  });

  it('removes them while the proxy serves, without tearing a download in progress', async () => {
    // A client is half-way through the big zip when cleanup removes it.
    const response = await request(`${proxy.url}/${big}/@v/v1.0.0.zip`, { highWaterMark: 64 * 1024 });
    const reader = response.body[Symbol.asyncIterator]();
    const chunks: Buffer[] = [];
    try {
      chunks.push((await reader.next()).value as Buffer);
      // This download is recorded too: --keep-since 0s keeps no version for being downloaded.
      const report = join(reports.path, 'termination-log');
      const started = new Date();
      const removal = await run(['--keep-since', '0s', '--keep-latest', '2', '--pin', `${kept}@v1.2.0`, '--json', '--termination-message', report]);
      expect(removal.code, removal.stderr).toBe(0);
      const summary = JSON.parse(removal.stdout) as Summary;
      expect(summary.dryRun).toBe(false);
      expect(summary.removed.map((r) => `${r.module}@${r.version}`)).toEqual(removedForGood);
      // One compact JSON line with the numbers of this run, timed when it finished.
      const line = await readFile(report, 'utf8');
      expect(line).toMatch(/^\{[^\n]*\}\n$/);
      const written = JSON.parse(line) as { time: string; removedVersions: number; freedBytes: number };
      expect(written).toEqual({ time: expect.any(String), removedVersions: removedForGood.length, freedBytes: summary.freedBytes });
      expect(written.freedBytes).toBeGreaterThan(bigContent.length / 2);
      expect(new Date(written.time).toISOString()).toBe(written.time);
      expect(Date.parse(written.time)).toBeGreaterThanOrEqual(started.getTime());
      for (let next = await reader.next(); !next.done; next = await reader.next()) chunks.push(next.value as Buffer);
    } finally {
      response.body.destroy();
    }
    const zip = Buffer.concat(chunks);
    const stored = await readFile(join(tree.path, 'github.com', 'acme', 'big', '@v', 'v1.0.0.zip'));
    expect(createHash('sha256').update(zip).digest('hex')).toBe(createHash('sha256').update(stored).digest('hex'));

    for (const id of removedForGood) {
      const [path, version] = id.split('@') as [string, string];
      for (const ext of ['mod', 'zip', 'info', 'ziphash', 'provenance']) expect(await proxy.storage.stat(`${path}/@v/${version}.${ext}`), `${id}.${ext}`).toBeNull();
    }
    expect((await proxy.storage.readBytes(`${kept}/@v/list`))?.toString()).toBe('v1.2.0\nv1.3.0\nv1.4.0\n');
    expect(await proxy.storage.stat(`${other}/@v/v1.0.0.zip`)).not.toBeNull();
  });

  it('leaves a removed version to be fetched again on the next request', async () => {
    const before = upstream.count(`${kept}/@v/v1.0.0.zip`);
    await get(`${kept}/@v/v1.0.0.zip`);
    expect(upstream.count(`${kept}/@v/v1.0.0.zip`)).toBe(before + 1);
  });

  it('a report that cannot be written is a warning on stderr, not a failed cleanup', async () => {
    const unwritable = join(reports.path, 'no-such-folder', 'termination-log');
    const result = await run(['--keep-since', '0s', '--module', 'nothing.example/*', '--termination-message', unwritable]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('cleanup: 0 versions of 0 modules');
    expect(result.stderr).toContain(`cannot write the cleanup report to --termination-message ${unwritable}: ENOENT; the cleanup itself succeeded`);
  });

  it('says "never downloaded (stored <time>)" of a version that was only prefetched', async () => {
    const fresh = await tempFolder('gomodproxy-cleanup-fresh-');
    try {
      const filled = await runGomodproxy(['prefetch', '--storage-path', fresh.path, '--upstream', upstream.url, `${other}@v1.0.0`]);
      expect(filled.code, filled.stdout + filled.stderr).toBe(0);
      const storedAt = (await stat(join(fresh.path, 'github.com', 'acme', 'other', '@v', 'v1.0.0.zip'))).mtime.toISOString();
      const args = ['cleanup', '--storage-path', fresh.path, '--keep-since', '0s', '--keep-latest', '0', '--dry-run'];
      const text = await runGomodproxy(args);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toContain(`would remove ${other}@v1.0.0 (`);
      expect(text.stdout).toMatch(new RegExp(`, never downloaded \\(stored \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\)\\)\n`));
      expect(text.stdout).not.toContain('last downloaded');
      const json = JSON.parse((await runGomodproxy([...args, '--json'])).stdout) as { removed: Array<{ lastDownload: string | null; stored: string }> };
      expect(json.removed).toEqual([expect.objectContaining({ lastDownload: null, stored: expect.any(String) })]);
      // The newest of the version's files (.info, .mod, .zip) gives the time stored.
      expect(Date.parse(json.removed[0]!.stored)).toBeGreaterThanOrEqual(Date.parse(storedAt));
      expect(text.stdout).toContain(`never downloaded (stored ${json.removed[0]!.stored})`);
    } finally {
      await fresh.dispose();
    }
  });

  it('refuses a bad rule with one line', async () => {
    const bad = await run(['--keep-since', 'forever']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^gomodproxy: --keep-since forever: give a duration such as 180d/);
  });
});
