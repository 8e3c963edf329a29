// Bad input gets a clear 4xx answer, one line of text, and changes nothing: no 5xx, no crash, no
// file outside the store, and no upstream request for a path that cannot be a module.
import { request as httpRequest } from 'node:http';
import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { standardCorpus } from '../fixtures/moduleTree.ts';
import type { Upstream } from '../fixtures/upstreamServer.ts';
import { startProxiedTree, type ProxiedTree, type TestProxy } from './harness.ts';

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
      }
    }
  });

  it('changed nothing: no upstream request, nothing in the store', async () => {
    expect(upstream.count()).toBe(0);
    expect(await readdir(proxy.storagePath)).toEqual(['.staging']);
    expect(await readdir(`${proxy.storagePath}/.staging`)).toEqual([]);
  });

  it('still serves good requests afterwards', async () => {
    const answer = await rawGet(proxy.url, '/github.com/acme/base/@v/v1.2.3.info');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).Version).toBe('v1.2.3');
  });
});
