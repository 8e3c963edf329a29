// Where the proxy's outbound connections and credentials may go (issue 13): git credentials stay
// with the origin they were configured for, `direct` is not a probe of the internal network, host
// tokens are only for private modules, and upstream proxies behind a login get their credentials
// (and nobody else does). Every "other origin" is a recording server on 127.0.0.1.
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryCache } from '../../proxy/memoryCache.ts';
import { DirectPolicy, GitSource } from '../../proxy/sources/index.ts';
import { goModDownloadJson, makeGoHome, makeTempDir, removeTempDir } from '../fixtures/goCommand.ts';
import { startGitServer, type GitServer } from '../fixtures/gitServer.ts';
import { standardCorpus, writeModuleTree } from '../fixtures/moduleTree.ts';
import { startRecordingServer, type RecordingServer } from '../fixtures/recordingServer.ts';
import { startUpstream } from '../fixtures/upstreamServer.ts';
import { spawnProxy, startTestProxy, tempFolder, type TestProxy } from './harness.ts';

const TOKEN = 'outbound-test-token-9f2c';
const TOKEN_VARIABLE = 'GOMODPROXY_TEST_OUTBOUND_TOKEN';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

function git(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd }, (err) => (err ? reject(err) : resolve())),
  );
}

let work: string;
let reposRoot: string;
/** Serves acme-widget.git (tag v1.0.0) to anyone. */
let open: GitServer;
/** Serves the same repository only with Basic ci:TOKEN. */
let locked: GitServer;
const proxies: TestProxy[] = [];
const servers: RecordingServer[] = [];

async function proxy(options: Parameters<typeof startTestProxy>[0]): Promise<TestProxy> {
  const started = await startTestProxy(options);
  proxies.push(started);
  return started;
}

async function recorder(answer: Parameters<typeof startRecordingServer>[0]): Promise<RecordingServer> {
  const started = await startRecordingServer(answer);
  servers.push(started);
  return started;
}

beforeAll(async () => {
  process.env[TOKEN_VARIABLE] = TOKEN;
  work = await makeTempDir('gomodproxy-outbound-');
  reposRoot = join(work, 'repos');
  const tree = join(work, 'tree');
  await mkdir(tree, { recursive: true });
  await writeFile(join(tree, 'go.mod'), 'module git.corp.example/acme/widget\n\ngo 1.21\n');
  await writeFile(join(tree, 'widget.go'), 'package widget\n');
  await git(['init', '-q', '-b', 'main'], tree);
  await git(['add', '.'], tree);
  await git(['commit', '-q', '-m', 'widget'], tree);
  await git(['tag', 'v1.0.0'], tree);
  await git(['clone', '-q', '--bare', tree, join(reposRoot, 'acme-widget.git')], work);
  open = await startGitServer(reposRoot);
  locked = await startGitServer(reposRoot, { basicAuth: { username: 'ci', password: TOKEN } });
});

afterAll(async () => {
  for (const p of proxies) await p.dispose();
  for (const s of servers) await s.close();
  await open?.close();
  await locked?.close();
  await removeTempDir(work);
  delete process.env[TOKEN_VARIABLE];
});

const goImportPage = (repoUrl: string) => ({
  status: 200,
  headers: { 'content-type': 'text/html' },
  body: `<html><head><meta name="go-import" content="git.corp.example/acme/widget git ${repoUrl}"></head></html>`,
});

describe('git credentials stay with the origin they were configured for', () => {
  it('refuses a ?go-get=1 answer that leads to another origin, naming both, and sends that origin nothing', async () => {
    const other = await recorder({ status: 401, headers: { 'www-authenticate': 'Basic realm="other"' } });
    const pages = await recorder(goImportPage(`${other.url}/acme/widget`));
    const p = await proxy({
      upstream: 'off',
      private: ['git.corp.example'],
      gitHosts: { 'git.corp.example': { url: pages.url, discover: true, username: 'ci', token: `env:${TOKEN_VARIABLE}` } },
    });
    const response = await fetch(`${p.url}/git.corp.example/acme/widget/@v/list`);
    const reason = await response.text();
    expect(response.status, reason).toBe(403);
    expect(reason).toContain(pages.url);
    expect(reason).toContain(other.url);
    expect(other.requests).toEqual([]);
    expect(pages.authorized()).toEqual([]);
  });

  it('fetches from an origin the host entry lists, without the host\'s credentials', async () => {
    // The other origin is a real git server that wants the very token: it must not get it.
    const other = await recorder({ forwardTo: locked.url });
    const pages = await recorder(goImportPage(`${other.url}/acme/widget`));
    const p = await proxy({
      upstream: 'off',
      private: ['git.corp.example'],
      gitHosts: {
        'git.corp.example': { url: pages.url, discover: true, username: 'ci', token: `env:${TOKEN_VARIABLE}`, discoverOrigins: [other.url] },
      },
    });
    const response = await fetch(`${p.url}/git.corp.example/acme/widget/@v/list`);
    const reason = await response.text();
    expect(other.requests.length, reason).toBeGreaterThan(0);
    expect(other.authorized()).toEqual([]);
    expect(response.status).not.toBe(200);
    expect(reason).not.toContain(TOKEN);
  });

  it('sends no credentials to another origin a redirect leads to', async () => {
    const other = await recorder({ forwardTo: locked.url });
    const redirector = await recorder({ redirectTo: other.url });
    const p = await proxy({
      upstream: 'off',
      private: ['git.corp.example'],
      gitHosts: { 'git.corp.example': { url: redirector.url, username: 'ci', token: `env:${TOKEN_VARIABLE}` } },
    });
    const response = await fetch(`${p.url}/git.corp.example/acme/widget/@v/list`);
    const reason = await response.text();
    expect(redirector.requests.length, reason).toBeGreaterThan(0);
    // git followed the redirect (the other origin was asked, and asked for the token) but had none for it.
    expect(other.requests.length, reason).toBeGreaterThan(0);
    expect(other.authorized()).toEqual([]);
    expect(response.status).not.toBe(200);
  });

  it('still sends the token to its own origin', async () => {
    const p = await proxy({
      upstream: 'off',
      private: ['git.corp.example'],
      gitHosts: { 'git.corp.example': { url: locked.url, username: 'ci', token: `env:${TOKEN_VARIABLE}` } },
    });
    const response = await fetch(`${p.url}/git.corp.example/acme/widget/@v/list`);
    expect(await response.text()).toBe('v1.0.0\n');
  });
});

describe('direct is not aimed inward', () => {
  it('refuses an IP-literal module path with its own reason, not git\'s', async () => {
    const p = await proxy({ upstream: 'direct', directAllowInternal: [] });
    const response = await fetch(`${p.url}/127.0.0.1/internal/secret.git/@v/list`);
    const reason = await response.text();
    expect(response.status, reason).toBe(403);
    expect(reason).toMatch(/IP address/);
    expect(reason).not.toMatch(/fatal|unable to access|connect|port 443/i);
  });

  it('refuses a host that resolves to a loopback address, and reaches it once direct.allowInternal names it', async () => {
    const port = new URL(open.url).port;
    const gitHosts = { 'git.lab.example': { url: `http://localhost:${port}` } };
    const before = open.requests.length;
    const refusing = await proxy({ upstream: 'direct', directAllowInternal: [], gitHosts });
    const refused = await fetch(`${refusing.url}/git.lab.example/acme/widget/@v/list`);
    const reason = await refused.text();
    expect(refused.status, reason).toBe(403);
    expect(reason).toMatch(/not a public address/);
    expect(reason).not.toContain(port);
    expect(open.requests.length).toBe(before);

    const allowing = await proxy({ upstream: 'direct', directAllowInternal: ['127.0.0.0/8'], gitHosts });
    const allowed = await fetch(`${allowing.url}/git.lab.example/acme/widget/@v/list`);
    expect(await allowed.text()).toBe('v1.0.0\n');
    expect(open.requests.length).toBeGreaterThan(before);
  });

  it('answers a failure on an internal host with a reason of its own, never git\'s text', async () => {
    const closed = await recorder({ status: 200 });
    const closedUrl = closed.url;
    await closed.close();
    servers.splice(servers.indexOf(closed), 1);
    const p = await proxy({ upstream: 'direct', directAllowInternal: ['127.0.0.1'], gitHosts: { 'git.lab.example': { url: closedUrl } } });
    const response = await fetch(`${p.url}/git.lab.example/acme/widget/@v/list`);
    const reason = await response.text();
    expect(response.status, reason).toBe(502);
    expect(reason).toMatch(/cannot be reached/);
    expect(reason).not.toMatch(/fatal|unable to access|127\.0\.0\.1|Failed to connect/);
    expect(reason).not.toContain(new URL(closedUrl).port);
  });

  it('connects git to the address it checked, not to a second answer for the name', async () => {
    // The policy's resolver answers 127.0.0.2 for localhost; the machine's says 127.0.0.1, where
    // nothing listens on this port. Only a pinned connection reaches the repository.
    const pinnedTarget = await startRecordingServer({ forwardTo: open.url }, { host: '127.0.0.2' });
    servers.push(pinnedTarget);
    const port = new URL(pinnedTarget.url).port;
    const source = new GitSource({
      cacheDir: join(work, 'pinned-git'),
      hosts: { 'git.lab.example': { url: `http://localhost:${port}` } },
      refreshMs: 60_000,
      timeoutMs: 60_000,
      direct: new DirectPolicy({ vcs: '*:git', allowInternal: ['127.0.0.0/8'] }, async () => ['127.0.0.2']),
      memoryCache: new MemoryCache(1 << 20),
    });
    const list = await source.fetchBytes({ kind: 'list', module: 'git.lab.example/acme/widget' });
    expect(list.toString()).toBe('v1.0.0\n');
    expect(pinnedTarget.requests.length).toBeGreaterThan(0);
  });

  it('fetches nothing with direct.vcs "off" for the paths it names', async () => {
    const before = open.requests.length;
    const p = await proxy({ upstream: 'direct', directVcs: 'git.lab.example:off,*:git', gitHosts: { 'git.lab.example': { url: open.url } } });
    const response = await fetch(`${p.url}/git.lab.example/acme/widget/@v/list`);
    const reason = await response.text();
    expect(response.status, reason).toBe(403);
    expect(reason).toMatch(/direct\.vcs/);
    expect(open.requests.length).toBe(before);
  });
});

describe('host credentials are for private modules only', () => {
  it('never sends a host\'s token for a path that is not private', async () => {
    const gitHosts = { 'git.corp.example': { url: locked.url, username: 'ci', token: `env:${TOKEN_VARIABLE}` } };
    const before = locked.requests.length;
    const publicPath = await proxy({ upstream: 'direct', gitHosts });
    const response = await fetch(`${publicPath.url}/git.corp.example/acme/widget/@v/list`);
    const reason = await response.text();
    expect(response.status, reason).not.toBe(200);
    const asked = locked.requests.slice(before);
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.every((r) => r.status === 401)).toBe(true);

    const privatePath = await proxy({ upstream: 'direct', private: ['git.corp.example'], gitHosts });
    expect(await (await fetch(`${privatePath.url}/git.corp.example/acme/widget/@v/list`)).text()).toBe('v1.0.0\n');
  });
});

describe('an upstream proxy behind a login', () => {
  const corpus = standardCorpus();
  const target = corpus.find((m) => m.path === 'github.com/acme/base' && m.version === 'v1.2.3')!;

  it('gets Basic credentials from the URL (literal, env: or file:), and a redirect elsewhere gets none', async () => {
    const tree = await tempFolder('gomodproxy-login-');
    await writeModuleTree(tree.path, corpus);
    const upstream = await startUpstream(tree.path);
    const password = 'up-pass-73c1';
    process.env['GOMODPROXY_TEST_UPSTREAM_PASSWORD'] = password;
    await writeFile(join(work, 'upstream-password'), `${password}\n`);
    // A zip is sent on to a storage origin, as Artifactory and Athens behind a CDN do.
    const storageOrigin = await recorder({ forwardTo: upstream.url });
    const login = await recorder((request) => {
      if (request.authorization !== basic('ci', password)) return { status: 401, headers: { 'www-authenticate': 'Basic realm="goproxy"' }, body: 'login required' };
      return request.path.endsWith('.zip') ? { redirectTo: storageOrigin.url } : { forwardTo: upstream.url };
    });
    const host = login.url.replace('http://', '');
    try {
      for (const secret of [password, 'env:GOMODPROXY_TEST_UPSTREAM_PASSWORD', `file:${join(work, 'upstream-password')}`]) {
        const p = await proxy({ upstream: `http://ci:${encodeURIComponent(secret)}@${host}` });
        const home = await makeGoHome({ goproxy: p.url });
        try {
          const [result] = await goModDownloadJson([`${target.path}@${target.version}`], { env: home.env });
          expect(result!.Error, secret).toBeUndefined();
        } finally {
          await home.dispose();
        }
      }
      expect(login.requests.length).toBeGreaterThan(0);
      expect(login.requests.every((r) => r.authorization === basic('ci', password))).toBe(true);
      expect(storageOrigin.requests.length).toBeGreaterThan(0);
      expect(storageOrigin.authorized()).toEqual([]);

      // A wrong password is refused by the upstream; the answer names the upstream without it.
      const wrong = await proxy({ upstream: `http://ci:not-the-password@${host}` });
      const refused = await fetch(`${wrong.url}/${target.path}/@v/list`);
      const reason = await refused.text();
      expect(refused.status).toBe(502);
      expect(reason).toContain(`http://${host}`);
      expect(reason).not.toContain('not-the-password');
    } finally {
      await upstream.close();
      await tree.dispose();
      delete process.env['GOMODPROXY_TEST_UPSTREAM_PASSWORD'];
    }
  });

  it('never writes the password to its log, neither at start nor when the upstream refuses it', async () => {
    const login = await recorder({ status: 401, headers: { 'www-authenticate': 'Basic realm="goproxy"' }, body: 'login required' });
    const host = login.url.replace('http://', '');
    const store = await tempFolder('gomodproxy-login-store-');
    const running = await spawnProxy({ GOMODPROXY_UPSTREAM: `http://ci:log-secret-5d1e@${host}`, GOMODPROXY_STORAGE_PATH: store.path });
    try {
      const refused = await fetch(`${running.url}/github.com/acme/base/@v/list`);
      expect(refused.status).toBe(502);
      expect(await refused.text()).not.toContain('log-secret-5d1e');
      await running.stop();
      expect(login.authorized().length).toBeGreaterThan(0);
      expect(running.output()).toContain(`"upstream":"http://${host}"`);
      expect(running.output()).not.toContain('log-secret-5d1e');
      expect(running.output()).not.toContain(Buffer.from('ci:log-secret-5d1e').toString('base64'));
    } finally {
      await running.stop();
      await store.dispose();
    }
  });

  it('refuses to start with a reference to a secret that is not there, without showing the URL\'s password', async () => {
    await expect(proxy({ upstream: 'http://ci:env%3AGOMODPROXY_TEST_NO_SUCH_VARIABLE@127.0.0.1:9' })).rejects.toThrow(/GOMODPROXY_TEST_NO_SUCH_VARIABLE is not set/);
    await expect(proxy({ upstream: 'http://ci:hunter2@127.0.0.1:9|ftp://x' })).rejects.toThrow(/^(?![\s\S]*hunter2)[\s\S]*ftp/);
  });
});
