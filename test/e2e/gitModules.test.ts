// Private modules built straight from git: for every fixture repository, the go command with
// GOPROXY=direct (building the module itself) and the go command through the proxy must agree on
// every query: the same Version, the same zip and go.mod hashes, or both fail.
import { execFile } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goModDownloadJson, makeGoHome, makeTempDir, removeTempDir, runGo, type GoHome, type GoModDownload } from '../fixtures/goCommand.ts';
import { buildGitRepos, extendGitRepo, gitEnvExtra, type GitCase } from '../fixtures/gitRepos.ts';
import { selfSignedCertificate, startGitServer, writeGitConfig, type GitServer } from '../fixtures/gitServer.ts';
import { startSshServer } from '../fixtures/sshServer.ts';
import { startTestProxy, type TestProxy } from './harness.ts';

const root = await makeTempDir('gomodproxy-git-repos-');
const built = await buildGitRepos(root);

/** The queries of each repository, grouped so one go command answers them all. */
const byRepo = new Map<string, GitCase[]>();
for (const c of built.cases) byRepo.set(c.repo, [...(byRepo.get(c.repo) ?? []), c]);

let server: GitServer;
let proxy: TestProxy;
let direct: GoHome;
let throughProxy: GoHome;

beforeAll(async () => {
  server = await startGitServer(root);
  direct = await makeGoHome({ goproxy: 'direct', allowDirect: true, extra: gitEnvExtra() });
  await writeGitConfig(direct.home, server.url);
  proxy = await startTestProxy({ upstream: 'off', private: ['github.com/acme'], gitHosts: { 'github.com': { url: server.url } } });
  throughProxy = await makeGoHome({ goproxy: proxy.url });
});

afterAll(async () => {
  await throughProxy?.dispose();
  await direct?.dispose();
  await proxy?.dispose();
  await server?.close();
  await removeTempDir(root);
});

function keyed(results: GoModDownload[], queries: string[]): Map<string, GoModDownload> {
  // The go command answers in argument order, one object per argument.
  return new Map(queries.map((q, i) => [q, results[i]!]));
}

describe.each([...byRepo.keys()])('%s', (repo) => {
  const cases = byRepo.get(repo)!;
  const queries = cases.flatMap((c) => c.queries);

  it(`agrees with GOPROXY=direct on ${queries.length} queries`, async () => {
    const want = keyed(await goModDownloadJson(queries, { env: direct.env, timeoutMs: 60_000 }), queries);
    const got = keyed(await goModDownloadJson(queries, { env: throughProxy.env, timeoutMs: 60_000 }), queries);
    for (const query of queries) {
      const w = want.get(query)!;
      const g = got.get(query)!;
      if (query.split('@')[1]!.includes('/')) {
        // The protocol cannot carry a branch name with a slash: the go command refuses before
        // asking any proxy (proxy.golang.org included). Only GOPROXY=direct can resolve it.
        expect(g.Error).toMatch(/disallowed version string/);
        continue;
      }
      if (w.Error) {
        expect(g.Error, `${query}: direct failed (${w.Error}) but the proxy answered ${g.Version}`).toBeDefined();
        continue;
      }
      expect(g.Error, `${query}: ${g.Error}`).toBeUndefined();
      expect(g.Version, query).toBe(w.Version);
      expect(g.Sum, `${query} zip hash`).toBe(w.Sum);
      expect(g.GoModSum, `${query} go.mod hash`).toBe(w.GoModSum);
    }
  });
});

describe('the repository cache', () => {
  it('fetches a repository once for all its modules and versions', async () => {
    const own = await startTestProxy({ upstream: 'off', private: ['github.com/acme'], gitHosts: { 'github.com': { url: server.url } } });
    try {
      const fetchesBefore = server.requests.filter((r) => r.path.includes('acme-mono') && r.command === 'fetch').length;
      const paths = ['github.com/acme/mono/@v/list', 'github.com/acme/mono/api/@v/list', 'github.com/acme/mono/storage/@v/list'];
      const lists = await Promise.all(paths.map(async (p) => (await fetch(`${own.url}/${p}`)).text()));
      const versions = lists.flatMap((list, i) => list.split('\n').filter(Boolean).map((v) => `${paths[i]!.replace('/@v/list', '')}/@v/${v}.zip`));
      expect(versions.length).toBeGreaterThanOrEqual(3);
      for (const response of await Promise.all(versions.map((v) => fetch(`${own.url}/${v}`)))) {
        expect(response.status).toBe(200);
        await response.arrayBuffer();
      }
      const fetchesAfter = server.requests.filter((r) => r.path.includes('acme-mono') && r.command === 'fetch').length;
      expect(fetchesAfter - fetchesBefore).toBe(1);
    } finally {
      await own.dispose();
    }
  });

  it('sees a tag pushed while it runs within the list TTL', async () => {
    const own = await startTestProxy({ upstream: 'off', private: ['github.com/acme'], listTtl: '1s', gitHosts: { 'github.com': { url: server.url } } });
    try {
      const list = async () => (await fetch(`${own.url}/github.com/acme/twotags/@v/list`)).text();
      const before = await list();
      expect(before).not.toContain('v1.2.0');
      await extendGitRepo(root, 'acme-twotags', '2025-06-01T00:00:00Z', [
        { commit: 'pushed', files: { 'pushed.go': 'package twotags\n' } },
        { tag: 'v1.2.0' },
      ]);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect(await list()).toBe(`${before}v1.2.0\n`);
    } finally {
      await own.dispose();
    }
  });

  it('lets go get a branch and a commit through the proxy', async () => {
    const dir = join(throughProxy.home, 'getter');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'go.mod'), 'module example.test/getter\n\ngo 1.21\n');
    const outcomes = Object.assign({}, ...built.cases.filter((c) => c.repo === 'acme-base').map((c) => c.outcomes)) as GitCase['outcomes'];
    const commitQuery = Object.keys(outcomes).find((q) => /@[0-9a-f]{12}$/.test(q) && 'version' in outcomes[q]! && /\d{14}-/.test(outcomes[q]!.version))!;
    for (const query of ['github.com/acme/base@main', commitQuery]) {
      const want = outcomes[query]!;
      if (!('version' in want)) throw new Error(`${query} is expected to fail in the fixtures`);
      await runGo(['get', query], { cwd: dir, env: throughProxy.env });
      const listed = await runGo(['list', '-m', 'github.com/acme/base'], { cwd: dir, env: throughProxy.env });
      expect(listed.stdout.trim()).toBe(`github.com/acme/base ${want.version}`);
    }
  });
});

describe('credentials', () => {
  it('sends the token from the host map, and never shows it', async () => {
    const token = 's3cr3t-token-value';
    process.env['GOMODPROXY_TEST_GIT_TOKEN'] = token;
    const locked = await startGitServer(root, { basicAuth: { username: 'ci', password: token } });
    const host = (tokenVariable: string) => ({ 'github.com': { url: locked.url, username: 'ci', token: `env:${tokenVariable}` } });
    const good = await startTestProxy({ upstream: 'off', private: ['github.com/acme'], gitHosts: host('GOMODPROXY_TEST_GIT_TOKEN') });
    process.env['GOMODPROXY_TEST_GIT_WRONG'] = 'wrong-token-value';
    const bad = await startTestProxy({ upstream: 'off', private: ['github.com/acme'], gitHosts: host('GOMODPROXY_TEST_GIT_WRONG') });
    try {
      const ok = await fetch(`${good.url}/github.com/acme/base/@v/list`);
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('v1.2.3');

      const refused = await fetch(`${bad.url}/github.com/acme/base/@v/list`);
      const reason = await refused.text();
      expect(refused.status).toBe(502);
      expect(reason).toMatch(/refused the credentials/);
      expect(reason).not.toContain('wrong-token-value');
      expect(locked.requests.some((r) => r.status === 401)).toBe(true);
      // Nothing on disk holds the token either (it travels in git's environment only).
      const { stdout } = await grepFolders(token, [good.storagePath, `${good.storagePath}-git`]);
      expect(stdout).toBe('');
    } finally {
      await good.dispose();
      await bad.dispose();
      await locked.close();
      delete process.env['GOMODPROXY_TEST_GIT_TOKEN'];
      delete process.env['GOMODPROXY_TEST_GIT_WRONG'];
    }
  });
});

/** grep -r for a text in folders (exit 1, "not found", is a result, not an error). */
function grepFolders(text: string, folders: string[]): Promise<{ stdout: string }> {
  return new Promise((resolve) => {
    execFile('grep', ['-r', '-l', '-F', text, ...folders], (_err, stdout) => resolve({ stdout }));
  });
}

describe('an https git host with its own CA', () => {
  it('is trusted through caFile, and refused without it (TLS checks are never off)', async () => {
    const dir = await makeTempDir('gomodproxy-tls-');
    const certificate = await selfSignedCertificate(dir);
    const tlsServer = await startGitServer(root, { tls: certificate });
    const trusting = await startTestProxy({ upstream: 'off', private: ['github.com/acme'], gitHosts: { 'github.com': { url: tlsServer.url, caFile: certificate.certFile } } });
    const plain = await startTestProxy({ upstream: 'off', private: ['github.com/acme'], gitHosts: { 'github.com': { url: tlsServer.url } } });
    try {
      const ok = await fetch(`${trusting.url}/github.com/acme/base/@v/v1.2.3.info`);
      expect(ok.status).toBe(200);
      expect(JSON.parse(await ok.text()).Version).toBe('v1.2.3');
      const refused = await fetch(`${plain.url}/github.com/acme/base/@v/v1.2.3.info`);
      expect(refused.status).toBe(502);
      expect(await refused.text()).toMatch(/certificate/i);
    } finally {
      await trusting.dispose();
      await plain.dispose();
      await tlsServer.close();
      await removeTempDir(dir);
    }
  });
});

describe('an ssh git host', () => {
  it('is reached with the key and known_hosts of the host map', async () => {
    const dir = await makeTempDir('gomodproxy-ssh-');
    const ssh = await startSshServer(join(dir, 'sshd'));
    // The ssh URL names a path on the server: <root>/acme/base(.git) is the fixture acme-base.git.
    await mkdir(join(root, 'acme'), { recursive: true });
    await symlink(join(root, 'acme-base.git'), join(root, 'acme', 'base.git')).catch(() => {});
    const own = await startTestProxy({
      upstream: 'off',
      private: ['github.com/acme'],
      gitHosts: { 'github.com': { url: `${ssh.url}${root}`, sshKeyFile: ssh.clientKeyFile, knownHostsFile: ssh.knownHostsFile } },
    });
    const home = await makeGoHome({ goproxy: own.url });
    try {
      const [result] = await goModDownloadJson(['github.com/acme/base@v1.2.3'], { env: home.env });
      expect(result!.Error).toBeUndefined();
      const [viaHttp] = await goModDownloadJson(['github.com/acme/base@v1.2.3'], { env: direct.env });
      expect(result!.Sum).toBe(viaHttp!.Sum);
    } finally {
      await home.dispose();
      await own.dispose();
      await ssh.close();
      await removeTempDir(dir);
    }
  });
});

describe('?go-get=1 discovery', () => {
  it('finds a repository on a host of the host map by its go-import meta tag', async () => {
    // A repository for git.corp.example/team/widget (and its tools/ module), served by the git server.
    const work = await makeTempDir('gomodproxy-widget-');
    const git = (args: string[], cwd: string) =>
      new Promise<void>((resolve, reject) =>
        execFile('git', args, { cwd, env: { PATH: process.env['PATH'] ?? '', HOME: work, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'a', GIT_AUTHOR_EMAIL: 'a@a', GIT_COMMITTER_NAME: 'a', GIT_COMMITTER_EMAIL: 'a@a', GIT_AUTHOR_DATE: '@1700000000 +0000', GIT_COMMITTER_DATE: '@1700000000 +0000' } }, (err) => (err ? reject(err) : resolve())),
      );
    await mkdir(join(work, 'tree', 'tools'), { recursive: true });
    await writeFile(join(work, 'tree', 'go.mod'), 'module git.corp.example/team/widget\n\ngo 1.21\n');
    await writeFile(join(work, 'tree', 'widget.go'), 'package widget\n');
    await writeFile(join(work, 'tree', 'tools', 'go.mod'), 'module git.corp.example/team/widget/tools\n\ngo 1.21\n');
    await writeFile(join(work, 'tree', 'tools', 'tools.go'), 'package tools\n');
    const tree = join(work, 'tree');
    await git(['init', '-q', '-b', 'main'], tree);
    await git(['add', '.'], tree);
    await git(['commit', '-q', '-m', 'widget'], tree);
    await git(['tag', 'v1.0.0'], tree);
    await git(['tag', 'tools/v0.1.0'], tree);
    await git(['clone', '-q', '--bare', tree, join(root, 'team-widget.git')], work);

    const pages: string[] = [];
    const meta = createServer((req, res) => {
      pages.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<html><head><meta name="go-import" content="git.corp.example/team/widget git ${server.url}/team-widget"></head></html>`);
    });
    await new Promise<void>((resolve) => meta.listen(0, '127.0.0.1', resolve));
    const metaUrl = `http://127.0.0.1:${(meta.address() as AddressInfo).port}`;
    // The pages and the repositories are on two origins: the host entry lists the second.
    const own = await startTestProxy({
      upstream: 'off',
      private: ['git.corp.example'],
      gitHosts: { 'git.corp.example': { url: metaUrl, discover: true, discoverOrigins: [server.url] } },
    });
    const home = await makeGoHome({ goproxy: own.url });
    try {
      const results = await goModDownloadJson(['git.corp.example/team/widget@v1.0.0', 'git.corp.example/team/widget/tools@v0.1.0'], { env: home.env });
      for (const r of results) expect(r.Error, `${r.Path}`).toBeUndefined();
      const info = JSON.parse(await (await fetch(`${own.url}/git.corp.example/team/widget/tools/@v/v0.1.0.info`)).text());
      expect(info.Origin).toMatchObject({ VCS: 'git', URL: `${server.url}/team-widget`, Subdir: 'tools', Ref: 'refs/tags/tools/v0.1.0' });
      expect(pages).toContain('/team/widget?go-get=1');
      expect(pages).toContain('/team/widget/tools?go-get=1');
    } finally {
      await home.dispose();
      await own.dispose();
      await new Promise((resolve) => meta.close(resolve));
      await removeTempDir(work);
    }
  });
});

describe('privacy and failures', () => {
  it('answers 504 with a reason when the git server does not answer, and keeps serving the rest', async () => {
    // Accepts connections and never says a word.
    const held: Socket[] = [];
    const silent = createNetServer((socket) => {
      held.push(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const own = await startTestProxy({
      upstream: 'off',
      private: ['github.com/acme', 'git.corp.example'],
      gitTimeout: '2s',
      gitHosts: { 'github.com': { url: server.url }, 'git.corp.example': { url: silentUrl } },
    });
    try {
      const [stuck, fine] = await Promise.all([
        fetch(`${own.url}/git.corp.example/team/slow/@v/list`),
        fetch(`${own.url}/github.com/acme/base/@v/list`),
      ]);
      expect(stuck.status).toBe(504);
      expect(await stuck.text()).toMatch(/no answer within 2s/);
      expect(fine.status).toBe(200);
    } finally {
      await own.dispose();
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('answers a private module that does not exist with 403 and a reason', async () => {
    const response = await fetch(`${proxy.url}/github.com/acme/no-such-repo/@v/list`);
    const reason = await response.text();
    expect(response.status, reason).toBe(403);
    expect(reason).toMatch(/not found/);
  });
});

