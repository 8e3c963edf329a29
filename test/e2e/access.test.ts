// Authentication and per-module access, with the real go command over https (a test CA given
// through SSL_CERT_FILE; the go command sends credentials only over https): no credentials get
// 401, .netrc credentials (NETRC) build a program, a user without access to a module gets 403
// and the proxy asks no upstream for it, a token signs in as its name; /metrics is for the ops
// role only.
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeGoHome, runGo, type GoHome } from '../fixtures/goCommand.ts';
import { standardCorpus, writeModuleTree } from '../fixtures/moduleTree.ts';
import { makeTestCa, type TestCa } from '../fixtures/testCertificates.ts';
import { startUpstream, type Upstream } from '../fixtures/upstreamServer.ts';
import { buildAndRunProgram, startTestProxy, tempFolder, type TestProxy } from './harness.ts';

const ciToken = 'ci-0f3a9c1e5b7d2468ace13579bdf02468';

describe('access control', () => {
  let folder: { path: string; dispose(): Promise<void> };
  let ca: TestCa;
  let upstream: Upstream;
  let proxy: TestProxy;
  let agent: Agent;

  /** A go home whose .netrc (through NETRC) holds `login`/`password` for the proxy's host:port. */
  async function goHomeSignedInAs(login?: string, password?: string): Promise<GoHome> {
    const home = await makeGoHome({ goproxy: proxy.url, extra: { SSL_CERT_FILE: ca.caFile } });
    if (login !== undefined) {
      const netrc = join(home.home, 'netrc');
      await writeFile(netrc, `machine ${new URL(proxy.url).host} login ${login} password ${password}\n`);
      home.env['NETRC'] = netrc;
    }
    return home;
  }

  async function get(path: string, user?: string, password?: string): Promise<{ status: number; body: string; challenge: string | undefined }> {
    const headers: Record<string, string> = user ? { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } : {};
    const response = await request(`${proxy.url}${path}`, { headers, dispatcher: agent });
    return { status: response.statusCode, body: await response.body.text(), challenge: response.headers['www-authenticate'] as string | undefined };
  }

  beforeAll(async () => {
    folder = await tempFolder('gomodproxy-access-');
    await writeModuleTree(join(folder.path, 'tree'), standardCorpus());
    ca = makeTestCa(folder.path);
    const hash = (password: string) => bcrypt.hashSync(password, 8).replace(/^\$2[ab]\$/, '$2y$');
    await writeFile(join(folder.path, 'htpasswd'), `alice:${hash('wonderland')}\nbob:${hash('builder')}\ncarol:${hash('dashboards')}\n`);
    await writeFile(join(folder.path, 'ci.sha256'), createHash('sha256').update(ciToken).digest('hex'));
    upstream = await startUpstream(join(folder.path, 'tree'));
    proxy = await startTestProxy({
      upstream: upstream.url,
      tls: ca.issue('proxy'),
      auth: {
        htpasswd: join(folder.path, 'htpasswd'),
        tokens: [{ name: 'ci', sha256: `file:${join(folder.path, 'ci.sha256')}` }],
        groups: { 'team-a': ['alice', 'ci'], ops: ['carol'] },
        metrics: ['ops'],
      },
      accessRules: [{ modules: ['github.com/Acme/Widget'], allow: ['team-a'] }],
    });
    agent = new Agent({ connect: { ca: ca.caPem } });
  });
  afterAll(async () => {
    await agent?.close();
    await proxy?.dispose();
    await upstream?.close();
    await folder?.dispose();
  });

  it('without credentials the go command is told 401; the probes stay open', async () => {
    const home = await goHomeSignedInAs();
    try {
      const result = await runGo(['mod', 'download', 'github.com/acme/base@v1.2.3'], { cwd: home.home, env: home.env, allowFailure: true });
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/401 Unauthorized/);
      expect(result.stderr).toMatch(/authentication required to read github\.com\/acme\/base/);
    } finally {
      await home.dispose();
    }
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/readyz')).status).toBe(200);
    const metrics = await get('/metrics');
    expect(metrics.status).toBe(401);
    expect(metrics.challenge).toBe('Basic realm="gomodproxy", charset="UTF-8"');
    expect(upstream.count()).toBe(0);
  });

  it('/metrics over https: a member of the role reads it, another user gets 403, no credentials 401', async () => {
    const allowed = await get('/metrics', 'carol', 'dashboards');
    expect(allowed.status).toBe(200);
    expect(allowed.body).toMatch(/^# HELP /m);
    expect(allowed.body).toMatch(/^# TYPE \S+ (counter|gauge|histogram)$/m);
    for (const [user, password] of [['alice', 'wonderland'], ['ci', ciToken]] as const) {
      const other = await get('/metrics', user, password);
      expect(other.status, user).toBe(403);
      expect(other.body).toBe(`access denied: ${user} may not read /metrics\n`);
      expect(other.body).not.toContain('# HELP');
    }
    const none = await get('/metrics');
    expect(none.status).toBe(401);
    expect(none.challenge).toBe('Basic realm="gomodproxy", charset="UTF-8"');
    expect(none.body).not.toContain('# HELP');
    const wrong = await get('/metrics', 'carol', 'not-her-password');
    expect(wrong.status).toBe(401);
    expect(wrong.body).not.toContain('# HELP');
  });

  it('wrong credentials get 401', async () => {
    const home = await goHomeSignedInAs('alice', 'not-her-password');
    try {
      const result = await runGo(['mod', 'download', 'github.com/acme/base@v1.2.3'], { cwd: home.home, env: home.env, allowFailure: true });
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/401 Unauthorized/);
      expect(result.stderr).toMatch(/wrong user name, password or token/);
    } finally {
      await home.dispose();
    }
  });

  it('a signed-in user without access to a module gets 403 for its files, list, @latest and lookups, and no upstream is asked', async () => {
    const home = await goHomeSignedInAs('bob', 'builder');
    try {
      const download = await runGo(['mod', 'download', 'github.com/Acme/Widget@v1.1.0'], { cwd: home.home, env: home.env, allowFailure: true });
      expect(download.code).not.toBe(0);
      expect(download.stderr).toMatch(/403 Forbidden/);
      expect(download.stderr).toMatch(/access denied: bob may not read github\.com\/Acme\/Widget/);
      const versions = await runGo(['list', '-m', '-versions', 'github.com/Acme/Widget'], { cwd: home.home, env: home.env, allowFailure: true });
      expect(versions.code).not.toBe(0);
      expect(versions.stderr).toMatch(/403 Forbidden/);
      // bob may read what no rule restricts.
      const base = await runGo(['mod', 'download', 'github.com/acme/base@v1.2.3'], { cwd: home.home, env: home.env });
      expect(base.code).toBe(0);
    } finally {
      await home.dispose();
    }
    // The same answer whether the module or version exists or not, in any spelling: nothing is confirmed.
    for (const path of [
      '/github.com/!acme/!widget/@v/v1.1.0.zip',
      '/github.com/!acme/!widget/@v/v1.1.0.info',
      '/github.com/!acme/!widget/@v/v9.9.9.mod',
      '/github.com/!acme/!widget/@v/master.info',
      '/github.com/!acme/!widget/@latest',
      '/github.com/!acme/!widget/v2/@v/list',
      '/github.com/acme/widget/@v/list',
      '/github.com/%21acme/%21widget/@v/list',
      '/sumdb/sum.golang.org/lookup/github.com/!acme/!widget@v1.1.0',
    ]) {
      const answer = await get(path, 'bob', 'builder');
      expect(answer.status, path).toBe(403);
    }
    expect(upstream.count('!widget')).toBe(0);
    expect(upstream.count('acme/base')).toBeGreaterThan(0);
  });

  it('with .netrc credentials (NETRC) of a team member the program builds; a token signs in with any user name', async () => {
    for (const [login, password] of [['alice', 'wonderland'], ['any-name', ciToken]] as const) {
      const home = await goHomeSignedInAs(login, password);
      try {
        const { output, expected } = await buildAndRunProgram(join(home.home, 'program'), home.env);
        expect(output).toBe(expected);
      } finally {
        await home.dispose();
      }
    }
    expect(upstream.count('!widget')).toBeGreaterThan(0);
  });
});
