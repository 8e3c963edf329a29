// The JSON API behind the web page (docs/api.md), with the real go command filling the store:
// search finds what the go command downloaded, the module shows the same h1 as the go command's
// go.sum, pages walk the whole list, bad query parameters get 400 with a sentence saying what to
// send, and a proxy started again on the same store lists it in the background.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeGoHome, runGo } from '../fixtures/goCommand.ts';
import { goModText, standardCorpus, writeModuleTree } from '../fixtures/moduleTree.ts';
import { startUpstream, type Upstream } from '../fixtures/upstreamServer.ts';
import { runGomodproxy, startTestProxy, tempFolder, type TestProxy } from './harness.ts';

type Json = Record<string, any>;

async function getJson(base: string, path: string): Promise<{ status: number; body: Json; type: string | undefined }> {
  const response = await request(`${base}${path}`);
  const text = await response.body.text();
  return { status: response.statusCode, body: JSON.parse(text) as Json, type: response.headers['content-type'] as string | undefined };
}

/** go.sum lines as a map: "path version" → h1, "path version/go.mod" → h1. */
function parseGoSum(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of text.split('\n')) {
    const [path, version, hash] = line.split(' ');
    if (path && version && hash) sums.set(`${path} ${version}`, hash);
  }
  return sums;
}

describe('web API: search and browse', () => {
  const corpus = standardCorpus();
  let folder: { path: string; dispose(): Promise<void> };
  let upstream: Upstream;
  let proxy: TestProxy;
  let goSum: Map<string, string>;

  beforeAll(async () => {
    folder = await tempFolder('gomodproxy-webapi-');
    await writeModuleTree(join(folder.path, 'tree'), corpus);
    upstream = await startUpstream(join(folder.path, 'tree'));
    // Fetching ahead would fetch the zip of a version the go command asked only the go.mod of,
    // and a version without its zip is one of the cases here.
    proxy = await startTestProxy({ upstream: upstream.url, storagePath: join(folder.path, 'store'), fetchAhead: 'off' });
    await proxy.relistCatalog();
    const home = await makeGoHome({ goproxy: proxy.url });
    try {
      const project = join(home.home, 'project');
      await mkdir(project);
      await writeFile(join(project, 'go.mod'), 'module example.com/project\n\ngo 1.21\n');
      await runGo(['get', 'github.com/Acme/Widget@v1.1.0', 'gopkg.in/acme/yaml.v2@v2.4.1'], { cwd: project, env: home.env });
      goSum = parseGoSum(await readFile(join(project, 'go.sum'), 'utf8'));
      // Only the go.mod of an older version: the version is held without a zip.
      await runGo(['list', '-m', '-json', 'github.com/acme/base@v1.0.0'], { cwd: project, env: home.env });
      // Sizes and the storage plot come from a listing of the store: list it now it holds the downloads.
      await proxy.relistCatalog();
    } finally {
      await home.dispose();
    }
  });

  afterAll(async () => {
    await proxy?.dispose().catch(() => undefined);
    await upstream?.close();
    await folder?.dispose();
  });

  it('search finds the modules the go command downloaded, by substring (any case) and by prefix', async () => {
    const cases: Array<{ query: string; want: string[] }> = [
      { query: 'q=widget', want: ['github.com/Acme/Widget'] },
      { query: 'q=ACME/WID&match=substring', want: ['github.com/Acme/Widget'] },
      { query: 'q=gopkg.in/&match=prefix', want: ['gopkg.in/acme/yaml.v2'] },
      { query: 'q=acme&match=prefix', want: [] },
      { query: 'q=github.com/acme/&match=prefix', want: ['github.com/acme/base', 'github.com/Acme/Widget'] },
      { query: 'q=no-such-module', want: [] },
    ];
    for (const { query, want } of cases) {
      const { status, body, type } = await getJson(proxy.url, `/api/modules?${query}`);
      expect(status, query).toBe(200);
      expect(type).toBe('application/json; charset=utf-8');
      expect(body['items'].map((item: Json) => item['path']), query).toEqual(want);
      expect(body['total'], query).toBe(want.length);
      expect(body['next'], query).toBeNull();
    }
    const widget = (await getJson(proxy.url, '/api/modules?q=widget')).body['items'][0];
    expect(widget).toMatchObject({ path: 'github.com/Acme/Widget', versions: 1, latest: 'v1.1.0' });
    expect(Date.parse(widget['lastDownload'])).toBeGreaterThan(Date.now() - 10 * 60_000);
  });

  it("a module's versions carry the h1 and go.mod h1 of the go command's go.sum, the time, size and source", async () => {
    for (const [path, version] of [['github.com/Acme/Widget', 'v1.1.0'], ['github.com/acme/base', 'v1.2.3'], ['gopkg.in/acme/yaml.v2', 'v2.4.1']] as const) {
      const { status, body } = await getJson(proxy.url, `/api/module?path=${encodeURIComponent(path)}`);
      expect(status, path).toBe(200);
      expect(body['goGet']).toBe(`go get ${path}@latest`);
      const entry = body['versions'].find((v: Json) => v['version'] === version);
      const fixture = corpus.find((m) => m.path === path && m.version === version)!;
      expect(entry, `${path}@${version}`).toMatchObject({
        h1: goSum.get(`${path} ${version}`),
        goModH1: goSum.get(`${path} ${version}/go.mod`),
        source: 'upstream',
        time: fixture.time ?? '2024-01-01T00:00:00Z',
      });
      expect(entry['h1']).toMatch(/^h1:/);
      expect(entry['size']).toBeGreaterThan(0);
      expect(entry['lastDownload']).not.toBeNull();
    }
    // base: v1.2.3 (zip and go.mod) and v1.0.0 (go.mod only: no size, no h1), newest first.
    const base = (await getJson(proxy.url, '/api/module?path=github.com/acme/base')).body;
    expect(base['versions'].map((v: Json) => v['version'])).toEqual(['v1.2.3', 'v1.0.0']);
    expect(base['versions'][1]).toMatchObject({ size: null, h1: null, source: 'upstream' });
    expect(base['versions'][1]['goModH1']).toMatch(/^h1:/);
  });

  it("a version shows its go.mod, the files of its zip and the checksum database's state", async () => {
    const { status, body } = await getJson(proxy.url, '/api/version?path=github.com/acme/base&version=v1.2.3');
    expect(status).toBe(200);
    const fixture = corpus.find((m) => m.path === 'github.com/acme/base' && m.version === 'v1.2.3')!;
    expect(body['goMod']).toBe(goModText(fixture));
    expect(body['h1']).toBe(goSum.get('github.com/acme/base v1.2.3'));
    const names = body['files'].map((f: Json) => f['name']).sort();
    expect(names).toEqual([...Object.keys(fixture.files), 'go.mod'].sort());
    const leaf = body['files'].find((f: Json) => f['name'] === 'testdata/input/a.txt');
    expect(leaf['size']).toBe(2);
    expect(body['sumdb']).toEqual({ state: 'off', database: null });
    expect(body['goGet']).toBe('go get github.com/acme/base@v1.2.3');
    const modOnly = await getJson(proxy.url, '/api/version?path=github.com/acme/base&version=v1.0.0');
    expect(modOnly.body['files']).toBeNull();
  });

  it('pages of one module each walk the whole sorted list, none repeated', async () => {
    const all = (await getJson(proxy.url, '/api/modules?limit=500')).body;
    expect(all['total']).toBe(3);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Json = (await getJson(proxy.url, `/api/modules?limit=1${cursor ? `&cursor=${cursor}` : ''}`)).body;
      expect(page['total']).toBe(3);
      expect(page['items']).toHaveLength(1);
      seen.push(page['items'][0]['path']);
      cursor = page['next'];
      pages++;
    } while (cursor !== null && pages < 10);
    expect(seen).toEqual(all['items'].map((item: Json) => item['path']));
    expect(seen).toEqual(['github.com/acme/base', 'github.com/Acme/Widget', 'gopkg.in/acme/yaml.v2']);
  });

  it('bad query parameters get 400 with a sentence saying what to send', async () => {
    const cases: Array<{ path: string; says: RegExp }> = [
      { path: '/api/modules?limit=0', says: /limit=0 is not allowed; give a whole number from 1 to 500/ },
      { path: '/api/modules?limit=501', says: /give a whole number from 1 to 500/ },
      { path: '/api/modules?limit=ten', says: /give a whole number from 1 to 500/ },
      { path: '/api/modules?match=fuzzy', says: /match=fuzzy is not allowed; give one of substring, prefix/ },
      { path: '/api/modules?cursor=bm90LWEtY3Vyc29y', says: /pass the "next" value of the previous page unchanged/ },
      { path: '/api/modules?cursor=%25%25', says: /pass the "next" value/ },
      { path: '/api/modules?limt=5', says: /unknown query parameter "limt"; this URL takes q, match, limit, cursor/ },
      { path: '/api/modules?q=a&q=b', says: /q is given 2 times; give it once/ },
      { path: '/api/module', says: /module path is missing; give it as \?path=/ },
      { path: '/api/module?path=github.com/acme/../base', says: /give a module path as the go command writes it/ },
      { path: '/api/version?path=github.com/acme/base', says: /version is missing/ },
      { path: '/api/version?path=github.com/acme/base&version=master', says: /not a canonical version; give one as the go command lists it/ },
    ];
    for (const { path, says } of cases) {
      const { status, body, type } = await getJson(proxy.url, path);
      expect(status, path).toBe(400);
      expect(type, path).toBe('application/json; charset=utf-8');
      expect(body['error'], path).toMatch(says);
    }
  });

  it('what the store does not hold is 404 with JSON, also for an unknown API URL', async () => {
    for (const [path, says] of [
      ['/api/module?path=github.com/acme/nothing', /module github.com\/acme\/nothing is not in this proxy's store/],
      ['/api/version?path=github.com/acme/base&version=v9.9.9', /github.com\/acme\/base@v9.9.9 is not in this proxy's store/],
      ['/api/nothing', /no API at GET \/api\/nothing/],
    ] as const) {
      const { status, body } = await getJson(proxy.url, path);
      expect(status, path).toBe(404);
      expect(body['error'], path).toMatch(says);
    }
  });

  it('whoami without auth: anonymous, an admin, no sign-in needed', async () => {
    expect((await getJson(proxy.url, '/api/whoami')).body).toEqual({ identity: null, admin: true, authRequired: false });
  });

  it('a proxy started again on the same store lists it in the background, with the recorded source', async () => {
    const again = await startTestProxy({ upstream: 'off', storagePath: proxy.storagePath });
    try {
      await again.relistCatalog();
      const { body } = await getJson(again.url, '/api/module?path=github.com/Acme/Widget');
      expect(body['versions']).toHaveLength(1);
      expect(body['versions'][0]).toMatchObject({ version: 'v1.1.0', h1: goSum.get('github.com/Acme/Widget v1.1.0'), source: 'upstream' });
      expect((await getJson(again.url, '/api/modules')).body['total']).toBe(3);
    } finally {
      await again.dispose();
    }
  });

  it('usage: a bad range or bucket gets 400 saying what to send', async () => {
    const cases: Array<{ path: string; says: RegExp }> = [
      { path: '/api/usage?bucket=week', says: /bucket=week is not allowed; give one of day, hour/ },
      { path: '/api/usage?from=yesterday', says: /from=yesterday is not a time; give an RFC 3339 time/ },
      { path: '/api/usage?from=2026-01-02&to=2026-01-01', says: /from must be before to/ },
      { path: '/api/usage?bucket=hour&from=2025-01-01&to=2026-01-01', says: /ask for at most 744 \(a shorter range, or bucket=day\)/ },
    ];
    for (const { path, says } of cases) {
      const { status, body } = await getJson(proxy.url, path);
      expect(status, path).toBe(400);
      expect(body['error'], path).toMatch(says);
    }
  });
  it('health, the cleanup dry run and the settings, for the admin that everyone is without auth', async () => {
    const health = await getJson(proxy.url, '/api/health');
    expect(health.status).toBe(200);
    expect(health.body['storage']).toMatchObject({ type: 'disk', versions: 4, modules: 3, listed: true });
    expect(health.body['storage']['freeBytes']).toBeGreaterThan(0);
    // Everything was written today: one day, holding all the store uses.
    expect(health.body['storage']['growth']).toEqual([{ day: new Date().toISOString().slice(0, 10), bytes: health.body['storage']['usedBytes'] }]);
    expect(health.body['upstreams']).toEqual([expect.objectContaining({ url: upstream.url, lastFailure: null, lastError: null })]);
    expect(Date.parse(health.body['upstreams'][0]['lastSuccess'])).toBeGreaterThan(Date.now() - 10 * 60_000);
    expect(health.body['sumdb']).toBeNull();
    expect(health.body['gitMirrors']).toEqual([]);
    expect(health.body['lastCleanup']).toBeNull();

    // Everything was stored and downloaded just now: the retention rules in effect remove nothing.
    const dryRun = await request(`${proxy.url}/api/cleanup/dry-run`, { method: 'POST' });
    expect(dryRun.statusCode).toBe(200);
    expect(await dryRun.body.json()).toEqual({ versions: [], freedBytes: 0, held: 4, kept: 4 });

    const settings = (await getJson(proxy.url, '/api/settings')).body;
    expect(settings['goEnv']).toEqual([`go env -w GOPROXY=${proxy.url}`, 'go env -w GOSUMDB=off']);
    expect(settings['netrc']).toBeNull();
    expect(settings['settings']).toMatchObject({ upstream: upstream.url, sumdb: 'off', storage: { type: 'disk' } });
  });

  it('the last cleanup (run by the cleanup command on the same store) is in health; the dry run plans by the same rules', async () => {
    const run = await runGomodproxy(['cleanup', '--keep-since', '0s', '--keep-latest', '1', '--storage-path', join(folder.path, 'store')]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/removed github\.com\/acme\/base@v1\.0\.0/);
    const health = (await getJson(proxy.url, '/api/health')).body;
    expect(health['lastCleanup']).toMatchObject({ removedVersions: 1, versions: 4, kept: 3 });
    expect(Date.parse(health['lastCleanup']['time'])).toBeGreaterThan(Date.now() - 10 * 60_000);
  });

  it('usage: the downloads the go command made, the hit rate, top modules and the upstream, also after a restart', async () => {
    const check = async (base: string) => {
      const { status, body } = await getJson(base, '/api/usage?bucket=hour');
      expect(status).toBe(200);
      expect(body['downloads']).toHaveLength(48);
      const sum = (key: string, field: string) => body[key].reduce((total: number, point: Json) => total + point[field], 0);
      // go get fetched three zips: Widget, base (its dependency) and yaml.v2.
      expect(sum('downloads', 'count')).toBe(3);
      expect(sum('hitRate', 'misses')).toBeGreaterThanOrEqual(3);
      expect(body['topModules']).toEqual([
        { path: 'github.com/acme/base', count: 1 },
        { path: 'github.com/Acme/Widget', count: 1 },
        { path: 'gopkg.in/acme/yaml.v2', count: 1 },
      ]);
      const days = (await getJson(base, '/api/usage?bucket=day&from=' + new Date(Date.now() - 3 * 86_400_000).toISOString())).body;
      expect(days['downloads'].reduce((total: number, point: Json) => total + point['count'], 0)).toBe(3);
      return body;
    };
    const body = await check(proxy.url);
    expect(body['upstream']).toHaveLength(1);
    expect(body['upstream'][0]).toMatchObject({ url: upstream.url, errors: 0 });
    expect(body['upstream'][0]['requests']).toBeGreaterThanOrEqual(9);
    expect(body['upstream'][0]['p95ms']).toBeGreaterThanOrEqual(body['upstream'][0]['p50ms']);
    expect(body['topUsers']).toEqual([{ identity: 'anonymous', count: expect.any(Number) }]);
    expect(body['denied']).toEqual([]);
    // Closing writes the counts to the store's download journal; a new proxy reads them there.
    await proxy.dispose();
    const again = await startTestProxy({ upstream: 'off', storagePath: join(folder.path, 'store') });
    try {
      await check(again.url);
    } finally {
      await again.dispose();
    }
  });

});
