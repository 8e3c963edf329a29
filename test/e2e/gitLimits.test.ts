// What building modules from git may take of the machine is bounded: an export stops as soon as
// its files pass the module zip limit (lowered here by git.exportLimit, so a 4 MiB file of one
// letter — a few KiB in git — is enough), no more than git.maxProcesses git processes run at
// once, the mirrors are kept within git.cacheSize by removing the least recently used (never one
// in use), and `gomodproxy cleanup --git-mirrors` prunes them. The go command is the client.
import { execFile } from 'node:child_process';
import { chmod, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goModDownloadJson, makeGoHome, makeTempDir, removeTempDir } from '../fixtures/goCommand.ts';
import { buildGitRepo } from '../fixtures/gitRepos.ts';
import { startGitServer, type GitServer } from '../fixtures/gitServer.ts';
import { runGomodproxy, startTestProxy, type TestProxy } from './harness.ts';

const run = promisify(execFile);

let root: string;
let server: GitServer;

const tagged = (name: string, files: Record<string, string>) => [
  { commit: 'first', files: { 'go.mod': `module github.com/acme/${name}\n\ngo 1.21\n`, ...files } },
  { tag: 'v1.0.0' },
];

beforeAll(async () => {
  root = await makeTempDir('gomodproxy-git-limits-');
  await buildGitRepo(root, 'acme-huge', '2025-01-01T00:00:00Z', tagged('huge', { 'huge.go': 'package huge\n', 'data.txt': 'a'.repeat(4 << 20) }));
  await buildGitRepo(root, 'acme-one', '2025-01-01T00:00:00Z', tagged('one', { 'one.go': 'package one\n' }));
  await buildGitRepo(root, 'acme-two', '2025-01-01T00:00:00Z', tagged('two', { 'two.go': 'package two\n' }));
  server = await startGitServer(root);
});

afterAll(async () => {
  await server?.close();
  await removeTempDir(root);
});

const gitProxy = (gitLimits: Parameters<typeof startTestProxy>[0]['gitLimits']) =>
  startTestProxy({ upstream: 'off', private: ['github.com/acme'], gitHosts: { 'github.com': { url: server.url } }, gitLimits });

/** The mirror folders' sizes, as the git cache counts them (any *.git folder). */
async function listMirrorsIn(folder: string): Promise<Array<{ name: string; bytes: number }>> {
  const sizes = [];
  for (const name of await mirrorsIn(folder)) {
    const entries = await readdir(join(folder, name), { recursive: true, withFileTypes: true });
    let bytes = 0;
    for (const entry of entries) if (entry.isFile()) bytes += (await stat(join(entry.parentPath, entry.name))).size;
    sizes.push({ name, bytes });
  }
  return sizes;
}

const mirrorsIn = async (folder: string) => (await readdir(folder).catch(() => [] as string[])).filter((name) => name.endsWith('.git'));

describe('an export larger than the limit', () => {
  let proxy: TestProxy;
  beforeAll(async () => (proxy = await gitProxy({ exportLimit: '1MiB' })));
  afterAll(() => proxy.dispose());

  it('is stopped and refused with that reason, and leaves nothing behind', async () => {
    const response = await fetch(`${proxy.url}/github.com/acme/huge/@v/v1.0.0.zip`);
    const body = await response.text();
    expect(response.status, body).toBe(502);
    expect(body).toMatch(/add up to more than 1 MiB \(export stopped at "data\.txt"\), the module zip limit/);
    expect((await readdir(proxy.gitCacheDir)).filter((name) => !name.endsWith('.git'))).toEqual([]);
  });

  it('the go command shows the reason', async () => {
    const home = await makeGoHome({ goproxy: proxy.url });
    try {
      const [result] = await goModDownloadJson(['github.com/acme/huge@v1.0.0'], { env: home.env });
      expect(result!.Error).toMatch(/502 Bad Gateway[\s\S]*module zip limit/);
    } finally {
      await home.dispose();
    }
  });
});

describe('concurrent git processes', () => {
  it('never run more than git.maxProcesses at once, however many requests come', async () => {
    // A git on PATH that notes when each of the proxy's git commands starts ("+") and ends ("-").
    const tools = await makeTempDir('gomodproxy-git-wrapper-');
    const log = join(tools, 'log');
    const realGit = (await run('sh', ['-c', 'command -v git'])).stdout.trim();
    await writeFile(
      join(tools, 'git'),
      `#!/bin/sh\ncase "$*" in\n  "-c protocol.allow=never"*) echo + >> ${log}; ${realGit} "$@"; status=$?; echo - >> ${log}; exit $status;;\nesac\nexec ${realGit} "$@"\n`,
    );
    await chmod(join(tools, 'git'), 0o755);
    const path = process.env['PATH'];
    process.env['PATH'] = `${tools}:${path}`;
    const proxy = await gitProxy({ maxProcesses: 2 });
    try {
      const queries = Array.from({ length: 80 }, (_, i) => `${proxy.url}/github.com/acme/one/@v/branch${i}.info`);
      const statuses = await Promise.all(queries.map(async (query) => (await fetch(query)).status));
      expect(new Set(statuses)).toEqual(new Set([403]));
      const marks = (await readFile(log, 'utf8')).split('\n').filter(Boolean);
      let running = 0;
      let most = 0;
      for (const mark of marks) most = Math.max(most, (running += mark === '+' ? 1 : -1));
      expect(marks.length).toBeGreaterThan(80);
      expect(most).toBe(2);
    } finally {
      process.env['PATH'] = path;
      await proxy.dispose();
      await removeTempDir(tools);
    }
  });
});

describe('the git cache', () => {
  it('removes the least recently used mirror beyond git.cacheSize, and clones it again when asked', async () => {
    // Room for one mirror of these small repositories, not for two.
    const sample = await makeTempDir('gomodproxy-mirror-size-');
    let oneMirror: number;
    try {
      await run('git', ['clone', '--mirror', '--quiet', join(root, 'acme-one.git'), join(sample, 'm.git')]);
      oneMirror = (await listMirrorsIn(sample))[0]!.bytes;
    } finally {
      await removeTempDir(sample);
    }
    const proxy = await gitProxy({ cacheSize: String(Math.floor(oneMirror * 1.5)) });
    try {
      expect((await fetch(`${proxy.url}/github.com/acme/one/@v/list`)).status).toBe(200);
      const [one] = await mirrorsIn(proxy.gitCacheDir);
      expect(one).toBeDefined();
      expect((await fetch(`${proxy.url}/github.com/acme/two/@v/list`)).status).toBe(200);
      // The second clone put the cache over its limit: the first mirror, not in use, goes.
      while ((await mirrorsIn(proxy.gitCacheDir)).includes(one!)) await new Promise((resolve) => setTimeout(resolve, 20));
      const clonesBefore = server.requests.filter((r) => r.path.includes('acme-one') && r.command === 'fetch').length;
      const home = await makeGoHome({ goproxy: proxy.url });
      try {
        const [result] = await goModDownloadJson(['github.com/acme/one@v1.0.0'], { env: home.env });
        expect(result!.Error).toBeUndefined();
        expect(result!.Version).toBe('v1.0.0');
      } finally {
        await home.dispose();
      }
      expect(server.requests.filter((r) => r.path.includes('acme-one') && r.command === 'fetch').length).toBeGreaterThan(clonesBefore);
    } finally {
      await proxy.dispose();
    }
  });

  it('`gomodproxy cleanup --git-mirrors` removes mirrors unused for --keep-since, never one used within the hour', async () => {
    const proxy = await gitProxy({});
    try {
      for (const name of ['one', 'two']) expect((await fetch(`${proxy.url}/github.com/acme/${name}/@v/list`)).status).toBe(200);
      const [stale, fresh] = await mirrorsIn(proxy.gitCacheDir);
      const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
      await utimes(join(proxy.gitCacheDir, stale!), twoHoursAgo, twoHoursAgo);
      const result = await runGomodproxy(['cleanup', '--git-mirrors', '--keep-since', '1h', '--storage-path', proxy.storagePath], {
        GOMODPROXY_GIT_CACHE_DIR: proxy.gitCacheDir,
      });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/^git mirrors: removed 1 \(\d.*\), kept 1$/m);
      expect(await mirrorsIn(proxy.gitCacheDir)).toEqual([fresh]);
    } finally {
      await proxy.dispose();
    }
  });
});
