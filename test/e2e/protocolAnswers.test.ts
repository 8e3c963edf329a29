// The details of each answer: caching headers, conditional requests, HEAD, list TTLs, the request
// log, and private paths answered 403 without a word to any upstream.
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../proxy/config.ts';
import { startProxy, type RunningProxy } from '../../proxy/serve.ts';
import { goModDownloadJson, makeGoHome, runGo } from '../fixtures/goCommand.ts';
import { h1ZipHash, standardCorpus, writeModuleTree, type FixtureModule } from '../fixtures/moduleTree.ts';
import { startGitServer } from '../fixtures/gitServer.ts';
import { startUpstream, type Upstream } from '../fixtures/upstreamServer.ts';
import { startProxiedTree, startTestProxy, tempFolder, type ProxiedTree, type TestProxy } from './harness.ts';

const corpus = standardCorpus();
/** The ETag of a protocol answer other than a zip: the sha256 of its bytes, base64url. */
const bodyTag = (body: string | Buffer): string => `"${createHash('sha256').update(body).digest('base64url')}"`;
const base = 'github.com/acme/base';

describe('protocol answers', () => {
  let setup: ProxiedTree;
  let proxy: TestProxy;

  beforeAll(async () => {
    setup = await startProxiedTree(corpus, { listTtl: '2s' });
    proxy = setup.proxy;
  });
  afterAll(() => setup.dispose());

  it.each(['info', 'mod', 'zip'])('.%s is immutable: strong ETag, year-long Cache-Control, 304 on If-None-Match', async (ext) => {
    const url = `${proxy.url}/${base}/@v/v1.2.3.${ext}`;
    const first = await request(url);
    await first.body.arrayBuffer();
    expect(first.statusCode).toBe(200);
    expect(first.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const etag = first.headers['etag'] as string;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const again = await request(url, { headers: { 'if-none-match': etag } });
    await again.body.arrayBuffer();
    expect(again.statusCode).toBe(304);
  });

  it('answers HEAD of a zip with its length and no body', async () => {
    const m = corpus.find((x) => x.path === base && x.version === 'v1.1.0')!;
    const head = await request(`${proxy.url}/${base}/@v/v1.1.0.zip`, { method: 'HEAD' });
    expect(head.statusCode).toBe(200);
    expect(Number(head.headers['content-length'])).toBeGreaterThan(0);
    expect((await head.body.arrayBuffer()).byteLength).toBe(0);
    const get = await request(`${proxy.url}/${base}/@v/v1.1.0.zip`);
    expect(Number(get.headers['content-length'])).toBe(Number(head.headers['content-length']));
    expect(get.headers['etag']).toBe(`"${h1ZipHash(m).slice(3).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}"`);
    await get.body.arrayBuffer();
  });

  it('reuses list for the TTL, then sees a new version', async () => {
    const module = 'github.com/acme/multi';
    const listUrl = `${proxy.url}/${module}/@v/list`;
    const before = await (await request(listUrl)).body.text();
    expect(before).toBe('v1.0.0\nv1.5.0\n');
    const added: FixtureModule = { path: module, version: 'v1.6.0', files: { 'multi.go': 'package multi\n' } };
    await writeModuleTree(setup.tree, [...corpus.filter((m) => m.path === module), added]);
    const listed = await request(listUrl);
    expect(listed.headers['cache-control']).toBe('public, max-age=2');
    const beforeTag = listed.headers['etag'];
    expect(await listed.body.text()).toBe(before);
    expect(beforeTag).toBe(bodyTag(before));
    await new Promise((resolve) => setTimeout(resolve, 2100));
    // The new list has its own ETag: the one of the old list no longer answers 304.
    const after = await request(listUrl, { headers: { 'if-none-match': beforeTag as string } });
    expect(after.statusCode).toBe(200);
    const afterText = await after.body.text();
    expect(afterText).toBe('v1.0.0\nv1.5.0\nv1.6.0\n');
    expect(after.headers['etag']).toBe(bodyTag(afterText));
  });

  it('gives each .info and .mod the ETag of its own bytes, asked once or again', async () => {
    for (let round = 0; round < 2; round++) {
      for (const path of [`${base}/@v/v1.2.3.info`, `${base}/@v/v1.1.0.info`, `${base}/@v/v1.2.3.mod`, `${base}/@v/v1.1.0.mod`]) {
        const answer = await request(`${proxy.url}/${path}`);
        const body = Buffer.from(await answer.body.arrayBuffer());
        expect(answer.headers['etag'], path).toBe(bodyTag(body));
      }
    }
  });
});

describe('private paths', () => {
  it('are answered 403 with a reason, never asked upstream, and the go command does not fall through', async () => {
    const tree = await tempFolder('gomodproxy-private-');
    // The "public" upstream has the private module too: if it were ever asked, the test would see it.
    const secret: FixtureModule = { path: 'github.com/acme/secret', version: 'v1.0.0', files: { 'secret.go': 'package secret\n' } };
    await writeModuleTree(tree.path, [...corpus, secret]);
    const upstream = await startUpstream(tree.path);
    const publicProxy = await startUpstream(tree.path);
    // Private modules come from git: this git server holds no repository at all.
    const emptyGit = await tempFolder('gomodproxy-no-repos-');
    const git = await startGitServer(emptyGit.path);
    const proxy = await startTestProxy({
      upstream: upstream.url,
      private: ['github.com/acme/secret', '*.corp.example'],
      gitHosts: { 'github.com': { url: git.url } },
    });
    const home = await makeGoHome({ goproxy: `${proxy.url},${publicProxy.url}` });
    try {
      for (const path of ['@v/list', '@latest', '@v/v1.0.0.info', '@v/v1.0.0.mod', '@v/v1.0.0.zip', 'sub/@v/list']) {
        const response = await request(`${proxy.url}/github.com/acme/secret/${path}`);
        expect(response.statusCode, path).toBe(403);
        expect(await response.body.text()).toMatch(/github\.com\/acme\/secret.*not found.*private module: answered 403/);
      }
      const [result] = await goModDownloadJson(['github.com/acme/secret@v1.0.0'], { env: home.env });
      expect(result!.Error).toMatch(/403 Forbidden/);
      const list = await runGo(['list', '-m', '-versions', 'github.com/acme/secret'], { cwd: home.home, env: home.env, allowFailure: true });
      expect(list.code).not.toBe(0);
      expect(upstream.count('secret')).toBe(0);
      expect(publicProxy.count('secret')).toBe(0);
      expect(git.count('secret')).toBeGreaterThan(0);
      // Public modules still come through.
      const [ok] = await goModDownloadJson([`${base}@v1.2.3`], { env: home.env });
      expect(ok!.Error).toBeUndefined();
    } finally {
      await home.dispose();
      await proxy.dispose();
      await upstream.close();
      await publicProxy.close();
      await git.close();
      await emptyGit.dispose();
      await tree.dispose();
    }
  });
});

describe('the request log', () => {
  let proxy: RunningProxy;
  let upstream: Upstream;
  let tree: { path: string; dispose(): Promise<void> };
  let store: { path: string; dispose(): Promise<void> };
  const lines: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    tree = await tempFolder('gomodproxy-log-');
    store = await tempFolder('gomodproxy-log-store-');
    await writeModuleTree(tree.path, corpus);
    upstream = await startUpstream(tree.path);
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const config = resolveConfig({ listen: '127.0.0.1:0', storage: { path: store.path }, upstream: upstream.url, sumdb: 'off', vulndb: 'off' });
    proxy = await startProxy(config, pino({ level: 'info' }, sink));
  });
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
    await store.dispose();
    await tree.dispose();
  });

  it('writes one JSON line per request: module, version, cache, upstream, bytes, duration', async () => {
    const url = `${proxy.url}/${base}/@v/v1.2.3.zip`;
    await (await request(url)).body.arrayBuffer();
    await (await request(url)).body.arrayBuffer();
    await (await request(`${proxy.url}/nope/@v/list`)).body.arrayBuffer();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const requests = lines.filter((l) => l['msg'] === 'request');
    expect(requests).toHaveLength(3);
    expect(requests[0]).toMatchObject({ module: base, version: 'v1.2.3', kind: 'zip', cache: 'miss', upstream: upstream.url, status: 200 });
    expect(requests[1]).toMatchObject({ module: base, version: 'v1.2.3', kind: 'zip', cache: 'hit', status: 200 });
    expect(requests[1]!['upstream']).toBeUndefined();
    expect(requests[0]!['bytes']).toBeGreaterThan(0);
    expect(typeof requests[0]!['ms']).toBe('number');
    expect(requests[2]).toMatchObject({ status: 400 });
    expect(String(requests[2]!['error'])).toMatch(/malformed module path/);
  });
});
