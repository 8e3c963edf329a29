// Bad input gets a clear 4xx answer, one line of text, and changes nothing: no 5xx, no crash, no
// file outside the store, and no upstream request for a path that cannot be a module.
import { request as httpRequest } from 'node:http';
import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { standardCorpus } from '../fixtures/moduleTree.ts';
import type { Upstream } from '../fixtures/upstreamServer.ts';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { stagedFiles, startProxiedTree, startTestProxy, type ProxiedTree, type TestProxy } from './harness.ts';

/** Sends the path exactly as written (no client-side normalisation of dot segments). */
function rawGet(base: string, path: string, method = 'GET'): Promise<{ status: number; body: string; type: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: String(res.headers['content-type'] ?? '') }));
    });
    req.on('error', reject);
    req.end();
  });
}

const cases: Array<{ path: string; status: number; reason: RegExp }> = [
  { path: '/github.com/Acme/widget/@v/list', status: 400, reason: /upper case|!-escaped/i },
  { path: '/github.com/acme/../etc/passwd/@v/list', status: 400, reason: /"\.\." segments/ },
  { path: '/github.com/acme/%2e%2e/%2e%2e/@v/list', status: 400, reason: /"\.\." segments/ },
  { path: '/github.com/acme/x%2f..%2fy/@v/list', status: 400, reason: /slash/ },
  { path: '/github.com/acme/x%5cy/@v/list', status: 400, reason: /backslash/ },
  { path: '/github.com/acme/x%00/@v/list', status: 400, reason: /NUL/ },
  { path: '/github.com/acme/%zz/@v/list', status: 400, reason: /percent-encoding/ },
  { path: '//etc/passwd/@v/list', status: 400, reason: /malformed module path/ },
  { path: '/etc/passwd', status: 404, reason: /not a module proxy path/ },
  { path: '/github.com/acme/base/@v/v1.2.3.exe', status: 404, reason: /should be list or <version>/ },
  { path: '/github.com/acme/base/@v/..info', status: 400, reason: /version/ },
  { path: '/github.com/acme/base/@v/v1.2.!!3.info', status: 400, reason: /version/ },
  { path: '/github.com/acme/base/@v/V1.2.3.info', status: 400, reason: /version/ },
  { path: '/-github.com/acme/base/@v/list', status: 400, reason: /malformed module path/ },
  { path: '/github.com/acme/base/v2/@v/v1.0.0.info', status: 404, reason: /v2/ },
  { path: `/github.com/${'a'.repeat(5000)}/@v/list`, status: 414, reason: /at most 4096/ },
  { path: '/github.com/acme/base/@v/v1.2.3.mod/../../../../x', status: 400, reason: /"\.\." segments/ },
  // Names no file system holds: a clear 400, never a 500 that shows the store's path.
  { path: `/github.com/acme/${'a'.repeat(300)}/@v/list`, status: 400, reason: /300 bytes long.*at most 255/ },
  { path: `/github.com/acme/${'a'.repeat(300)}/@latest`, status: 400, reason: /300 bytes long.*at most 255/ },
  { path: `/github.com/acme/${'!a'.repeat(128)}/@v/v1.0.0.mod`, status: 400, reason: /256 bytes long.*at most 255/ },
  { path: `/github.com/acme/base/@v/v1.0.0-${'a'.repeat(250)}.info`, status: 400, reason: /bytes long.*at most 255/ },
];

describe('bad requests', () => {
  let setup: ProxiedTree;
  let upstream: Upstream;
  let proxy: TestProxy;

  beforeAll(async () => {
    setup = await startProxiedTree(standardCorpus());
    ({ upstream, proxy } = setup);
  });
  afterAll(() => setup.dispose());

  it.each(cases)('$path -> $status', async ({ path, status, reason }) => {
    for (const method of ['GET', 'HEAD']) {
      const answer = await rawGet(proxy.url, path, method);
      expect(answer.status, `${method} ${answer.body}`).toBe(status);
      if (method === 'GET') {
        expect(answer.type).toMatch(/^text\/plain/);
        expect(answer.body).toMatch(reason);
        expect(answer.body.trim().split('\n')).toHaveLength(1);
        expect(answer.body).not.toContain(proxy.storagePath);
        expect(answer.body).not.toMatch(/\/(tmp|home|root|var)\//);
      }
    }
  });

  it('changed nothing: no upstream request, nothing in the store', async () => {
    expect(upstream.count()).toBe(0);
    expect(await readdir(proxy.storagePath)).toEqual(['.staging']);
    expect(await stagedFiles(proxy.storagePath)).toEqual([]);
  });

  it('still serves good requests afterwards', async () => {
    const answer = await rawGet(proxy.url, '/github.com/acme/base/@v/v1.2.3.info');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).Version).toBe('v1.2.3');
  });
});

describe('names no file system can hold, from an upstream that answers anything', () => {
  // A hostile (or merely generous) upstream answers 200 for any path, so the store is asked to
  // hold a name longer than a file name can be: the client gets a 400 that says so, no upstream
  // request is made, and no answer shows a path of the server.
  let upstream: Server;
  let asked = 0;
  let proxy: TestProxy;

  beforeAll(async () => {
    upstream = createServer((req, res) => {
      asked++;
      const path = decodeURIComponent(req.url ?? '');
      const module = path.slice(1).replace(/\/@v\/.*$|\/@latest$/, '');
      if (path.endsWith('/list')) res.end('v1.0.0\n');
      else if (path.endsWith('.mod')) res.end(`module ${module}\n`);
      else res.end(JSON.stringify({ Version: 'v1.0.0', Time: '2024-01-01T00:00:00Z' }));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    proxy = await startTestProxy({ upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` });
  });
  afterAll(async () => {
    await proxy.dispose();
    await new Promise((resolve) => upstream.close(resolve));
  });

  const long = 'a'.repeat(300);
  it.each(['@v/v1.0.0.info', '@v/v1.0.0.mod', '@v/list', '@latest'])(
    '/example.com/<300 letters>/%s -> 400',
    async (file) => {
      const answer = await rawGet(proxy.url, `/example.com/${long}/${file}`);
      expect(answer.status, answer.body).toBe(400);
      expect(answer.body).toMatch(/300 bytes long.*at most 255/);
      expect(answer.body).not.toContain(proxy.storagePath);
      expect(answer.body).not.toMatch(/\/(tmp|home|root|var)\//);
    },
  );

  it('asked the upstream nothing', () => {
    expect(asked).toBe(0);
  });
});
