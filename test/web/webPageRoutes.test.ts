// The proxy serves its web page: the HTML shell at / and at every /ui/ deep link (never cached
// without revalidation), the assets under /assets/ named by content (cached for a year), brotli or
// gzip as the client accepts, and module paths still reach the protocol.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_WEB_PAGE, chooseEncoding } from '../../proxy/server/webPageRoutes.ts';
import { startTestProxy, type TestProxy } from '../e2e/harness.ts';

const shellFile = readFileSync(join(BUILT_WEB_PAGE, 'index.html'));
const assetNames = [...shellFile.toString().matchAll(/"\/assets\/([^"]+)"/g)].map((m) => m[1]!);

describe('the web page routes', () => {
  let proxy: TestProxy;

  async function get(path: string, headers: Record<string, string> = {}, method: 'GET' | 'HEAD' = 'GET') {
    const response = await request(`${proxy.url}${path}`, { method, headers });
    return { status: response.statusCode, headers: response.headers, body: Buffer.from(await response.body.arrayBuffer()) };
  }

  beforeAll(async () => {
    // No upstream answers: the protocol paths below must not be the page's.
    proxy = await startTestProxy({ upstream: 'http://127.0.0.1:9' });
  });
  afterAll(async () => {
    await proxy?.dispose();
  });

  it.each(['/', '/ui', '/ui/usage', '/ui/module/github.com/acme/base', '/ui/module/github.com/acme/base/@v/v1.2.3', '/ui/anything?q=x'])('GET %s answers the shell, revalidated on every visit', async (path) => {
    const answer = await get(path);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(answer.headers['cache-control']).toBe('no-cache');
    expect(answer.headers['content-security-policy']).toMatch(/default-src 'none'; script-src 'self'; style-src 'self';/);
    expect(answer.body.equals(shellFile)).toBe(true);
  });

  it('serves each asset cached for a year, in the encoding the client prefers', async () => {
    expect(assetNames).toHaveLength(2);
    for (const name of assetNames) {
      const original = readFileSync(join(BUILT_WEB_PAGE, 'assets', name));
      const br = await get(`/assets/${name}`, { 'accept-encoding': 'gzip, deflate, br' });
      expect(br.status).toBe(200);
      expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(br.headers['content-type']).toMatch(name.endsWith('.js') ? /^text\/javascript/ : /^text\/css/);
      expect(br.headers['content-encoding']).toBe('br');
      expect(br.headers['vary']).toBe('accept-encoding');
      expect(brotliDecompressSync(br.body).equals(original)).toBe(true);
      expect(br.body.length).toBeLessThan(original.length / 2);

      const gzip = await get(`/assets/${name}`, { 'accept-encoding': 'gzip' });
      expect(gzip.headers['content-encoding']).toBe('gzip');
      expect(gunzipSync(gzip.body).equals(original)).toBe(true);

      const plain = await get(`/assets/${name}`, { 'accept-encoding': 'identity' });
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.body.equals(original)).toBe(true);
      const head = await get(`/assets/${name}`, {}, 'HEAD');
      expect(head.status).toBe(200);
    }
  });

  it.each(['/assets/main.OLDHASH0.js', '/assets/..%2Fbuilt%2Findex.html', '/assets/index.html'])('GET %s: no such asset, 404 with what to do', async (path) => {
    const answer = await get(path);
    expect(answer.status).toBe(404);
    expect(answer.body.toString()).toMatch(/^no asset ".*" in this version of the page; reload the page \(\/\) to get the current one\n$/);
  });

  it('leaves module paths to the protocol: their first element has a dot', async () => {
    const list = await get('/github.com/acme/base/@v/list');
    expect(list.headers['content-type']).not.toMatch(/html/);
    expect(list.status).toBeGreaterThanOrEqual(400);
  });

  it.each([
    [undefined, 'identity'],
    ['', 'identity'],
    ['gzip', 'gzip'],
    ['gzip, br', 'br'],
    ['br;q=0, gzip', 'gzip'],
    ['*', 'br'],
    ['identity', 'identity'],
    ['BR;q=0.5', 'br'],
  ] as const)('Accept-Encoding %j chooses %s', (header, expected) => {
    expect(chooseEncoding(header)).toBe(expected);
  });
});
