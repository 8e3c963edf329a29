// The JSON API under access control, over https with the protocol's identities: anonymous
// callers get 401 with the Basic challenge, a user who may not read a module never sees it (not
// in search, not in counts, 404 on its URL with the same words as a module that does not exist),
// and `auth.admin` says who is an admin.
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goModDownloadJson, makeGoHome } from '../fixtures/goCommand.ts';
import { standardCorpus, writeModuleTree } from '../fixtures/moduleTree.ts';
import { makeTestCa, type TestCa } from '../fixtures/testCertificates.ts';
import { startUpstream, type Upstream } from '../fixtures/upstreamServer.ts';
import { startTestProxy, tempFolder, type TestProxy } from './harness.ts';

type Json = Record<string, any>;
const ciToken = 'ci-5e0c2b8a9d7f4361a2b4c6d8e0f13579';

describe('web API: access control', () => {
  let folder: { path: string; dispose(): Promise<void> };
  let ca: TestCa;
  let upstream: Upstream;
  let proxy: TestProxy;
  let agent: Agent;

  async function get(path: string, user?: string, password?: string): Promise<{ status: number; body: Json; challenge: string | undefined; type: string | undefined }> {
    const headers: Record<string, string> = user ? { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } : {};
    const response = await request(`${proxy.url}${path}`, { headers, dispatcher: agent });
    return {
      status: response.statusCode,
      body: JSON.parse(await response.body.text()) as Json,
      challenge: response.headers['www-authenticate'] as string | undefined,
      type: response.headers['content-type'] as string | undefined,
    };
  }

  beforeAll(async () => {
    folder = await tempFolder('gomodproxy-webapi-access-');
    await writeModuleTree(join(folder.path, 'tree'), standardCorpus());
    ca = makeTestCa(folder.path);
    const hash = (password: string) => bcrypt.hashSync(password, 8).replace(/^\$2[ab]\$/, '$2y$');
    await writeFile(join(folder.path, 'htpasswd'), `alice:${hash('wonderland')}\nbob:${hash('builder')}\ncarol:${hash('dashboards')}\n`);
    await writeFile(join(folder.path, 'ci.sha256'), createHash('sha256').update(ciToken).digest('hex'));
    upstream = await startUpstream(join(folder.path, 'tree'));
    // The go command fills the store through a proxy without auth; the proxy under test serves the same store.
    const store = join(folder.path, 'store');
    const filler = await startTestProxy({ upstream: upstream.url, storagePath: store });
    const home = await makeGoHome({ goproxy: filler.url });
    try {
      const results = await goModDownloadJson(['github.com/Acme/Widget@v1.1.0', 'github.com/acme/base@v1.2.3'], { env: home.env });
      expect(results.map((r) => r.Error)).toEqual([undefined, undefined]);
    } finally {
      await home.dispose();
      await filler.dispose();
    }
    proxy = await startTestProxy({
      upstream: upstream.url,
      storagePath: store,
      tls: ca.issue('proxy'),
      auth: {
        htpasswd: join(folder.path, 'htpasswd'),
        tokens: [{ name: 'ci', sha256: `file:${join(folder.path, 'ci.sha256')}` }],
        groups: { 'team-a': ['alice', 'ci'], ops: ['carol'] },
        admin: ['ops'],
      },
      accessRules: [{ modules: ['github.com/Acme/Widget'], allow: ['team-a'] }],
    });
    await proxy.relistCatalog();
    agent = new Agent({ connect: { ca: ca.caPem } });
  });

  afterAll(async () => {
    await agent?.close();
    await proxy?.dispose();
    await upstream?.close();
    await folder?.dispose();
  });

  it('without credentials every API URL but whoami is 401 with the Basic challenge, as JSON', async () => {
    for (const path of ['/api/modules', '/api/modules?q=widget', '/api/module?path=github.com/acme/base', '/api/version?path=github.com/acme/base&version=v1.2.3']) {
      const answer = await get(path);
      expect(answer.status, path).toBe(401);
      expect(answer.challenge, path).toBe('Basic realm="gomodproxy", charset="UTF-8"');
      expect(answer.type, path).toBe('application/json; charset=utf-8');
      expect(answer.body['error'], path).toMatch(/^authentication required to use the API: sign in with Basic credentials/);
    }
    expect((await get('/api/whoami')).body).toEqual({ identity: null, admin: false, authRequired: true });
    const wrong = await get('/api/modules', 'alice', 'not-her-password');
    expect(wrong.status).toBe(401);
    expect(wrong.body['error']).toMatch(/wrong user name, password or token/);
  });

  it('a user who may not read a module never sees it: not in search, not in counts, 404 on its URLs like a module that is not there', async () => {
    const cases: Array<{ who: [string, string]; sees: string[] }> = [
      { who: ['bob', 'builder'], sees: ['github.com/acme/base'] },
      { who: ['alice', 'wonderland'], sees: ['github.com/acme/base', 'github.com/Acme/Widget'] },
      { who: ['any-name', ciToken], sees: ['github.com/acme/base', 'github.com/Acme/Widget'] },
    ];
    for (const { who, sees } of cases) {
      const [user, password] = who;
      const all = await get('/api/modules', user, password);
      expect(all.status, user).toBe(200);
      expect(all.body['items'].map((i: Json) => i['path']), user).toEqual(sees);
      expect(all.body['total'], user).toBe(sees.length);
      const search = await get('/api/modules?q=widget', user, password);
      expect(search.body['total'], user).toBe(sees.includes('github.com/Acme/Widget') ? 1 : 0);
      const module = await get('/api/module?path=github.com/Acme/Widget', user, password);
      const version = await get('/api/version?path=github.com/Acme/Widget&version=v1.1.0', user, password);
      if (sees.includes('github.com/Acme/Widget')) {
        expect(module.status, user).toBe(200);
        expect(version.status, user).toBe(200);
      } else {
        const missing = await get('/api/module?path=github.com/Acme/Nothing', user, password);
        expect(missing.status).toBe(404);
        expect(module.status, user).toBe(404);
        expect(module.body['error']).toBe(missing.body['error'].replace('github.com/Acme/Nothing', 'github.com/Acme/Widget'));
        expect(version.status, user).toBe(404);
      }
    }
  });

  it('whoami names the identity and says who is an admin (auth.admin)', async () => {
    const cases: Array<{ user: string; password: string; identity: string; admin: boolean }> = [
      { user: 'carol', password: 'dashboards', identity: 'carol', admin: true },
      { user: 'bob', password: 'builder', identity: 'bob', admin: false },
      { user: 'x', password: ciToken, identity: 'ci', admin: false },
    ];
    for (const { user, password, identity, admin } of cases) {
      expect((await get('/api/whoami', user, password)).body, user).toEqual({ identity, admin, authRequired: true });
    }
  });

  it('usage: top users and refused requests (with the reason) for an admin only; top modules only those the caller may read', async () => {
    const raw = async (path: string, user: string, password: string) =>
      (await request(`${proxy.url}${path}`, { headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` }, dispatcher: agent })).statusCode;
    expect(await raw('/github.com/!acme/!widget/@v/v1.1.0.info', 'bob', 'builder')).toBe(403);
    expect(await raw('/github.com/!acme/!widget/@v/v1.1.0.zip', 'alice', 'wonderland')).toBe(200);
    expect(await raw('/github.com/acme/base/@v/v1.2.3.zip', 'alice', 'wonderland')).toBe(200);

    const admin = await get('/api/usage', 'carol', 'dashboards');
    expect(admin.status).toBe(200);
    expect(admin.body['topUsers']).toEqual([{ identity: 'alice', count: 2 }]);
    expect(admin.body['denied']).toEqual([
      expect.objectContaining({ identity: 'bob', module: 'github.com/Acme/Widget', version: 'v1.1.0', status: 403, reason: 'access denied: bob may not read github.com/Acme/Widget' }),
    ]);
    // An admin sees usage, not modules the access rules keep from them: carol is not in team-a.
    expect(admin.body['topModules'].map((m: Json) => m['path'])).toEqual(['github.com/acme/base']);
    const alice = await get('/api/usage', 'alice', 'wonderland');
    expect(alice.body['topModules']).toEqual([
      { path: 'github.com/acme/base', count: 2 },
      { path: 'github.com/Acme/Widget', count: 2 },
    ]);
    expect(alice.body).not.toHaveProperty('topUsers');

    const bob = await get('/api/usage', 'bob', 'builder');
    expect(bob.status).toBe(200);
    expect(bob.body).not.toHaveProperty('topUsers');
    expect(bob.body).not.toHaveProperty('denied');
    expect(bob.body['topModules'].map((m: Json) => m['path'])).toEqual(['github.com/acme/base']);
    expect((await get('/api/usage')).status).toBe(401);
  });

  it('admin views: 403 naming auth.admin for others, 401 without credentials; the settings never show a secret', async () => {
    for (const [method, path] of [['GET', '/api/health'], ['GET', '/api/settings'], ['POST', '/api/cleanup/dry-run']] as const) {
      for (const [user, password] of [['bob', 'builder'], ['alice', 'wonderland']] as const) {
        const response = await request(`${proxy.url}${path}`, { method, headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` }, dispatcher: agent });
        const body = (await response.body.json()) as Json;
        expect(response.statusCode, `${user} ${path}`).toBe(403);
        expect(body['error']).toBe(`${path} is an admin view and ${user} is not an admin; add the user or one of their groups to the auth.admin setting`);
      }
      const anonymous = await request(`${proxy.url}${path}`, { method, dispatcher: agent });
      await anonymous.body.dump();
      expect(anonymous.statusCode, path).toBe(401);
    }
    const health = await get('/api/health', 'carol', 'dashboards');
    expect(health.status).toBe(200);
    expect(health.body['storage']).toMatchObject({ versions: 2, modules: 2 });

    const settings = await get('/api/settings', 'carol', 'dashboards');
    expect(settings.status).toBe(200);
    const text = JSON.stringify(settings.body);
    const tokenHash = createHash('sha256').update(ciToken).digest('hex');
    for (const secret of [ciToken, tokenHash, 'wonderland', 'builder', 'dashboards', '$2y$']) expect(text, secret).not.toContain(secret);
    expect(settings.body['settings']['auth']['tokens']).toEqual([{ name: 'ci', sha256: '***' }]);
    expect(settings.body['goEnv'][0]).toBe(`go env -w GOPROXY=${proxy.url}`);
    expect(settings.body['netrc']).toBe(`machine ${new URL(proxy.url).host} login <you> password <your password or token>`);
  });
});
