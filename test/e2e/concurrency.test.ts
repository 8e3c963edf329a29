// Many clients asking for one uncached zip at once cause exactly one upstream request, and every
// client gets the same bytes.
import { createHash } from 'node:crypto';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bigZipModule, h1ZipHash, writeModuleTree } from '../fixtures/moduleTree.ts';
import { startUpstream, type Upstream } from '../fixtures/upstreamServer.ts';
import { startTestProxy, tempFolder, type TestProxy } from './harness.ts';

describe('single flight', () => {
  const module = bigZipModule(8 << 20);
  let tree: { path: string; dispose(): Promise<void> };
  let upstream: Upstream;
  let proxy: TestProxy;

  beforeAll(async () => {
    tree = await tempFolder('gomodproxy-flight-');
    await writeModuleTree(tree.path, [module]);
    upstream = await startUpstream(tree.path);
    // Slow the upstream so that all clients arrive while the one fetch is running.
    upstream.fail((path) => path.endsWith('.zip'), { delayMs: 500 });
    proxy = await startTestProxy({ upstream: upstream.url });
  });
  afterAll(async () => {
    await proxy.dispose();
    await upstream.close();
    await tree.dispose();
  });

  it('64 simultaneous requests for one uncached zip: one upstream request, 64 identical bodies', async () => {
    const url = `${proxy.url}/github.com/acme/bigzip/@v/v1.0.0.zip`;
    const digests = await Promise.all(
      Array.from({ length: 64 }, async () => {
        const response = await request(url);
        expect(response.statusCode).toBe(200);
        const hash = createHash('sha256');
        for await (const chunk of response.body) hash.update(chunk as Buffer);
        return hash.digest('hex');
      }),
    );
    expect(upstream.count('.zip')).toBe(1);
    expect(new Set(digests).size).toBe(1);
    const etag = (await request(url, { method: 'HEAD' })).headers['etag'];
    expect(etag).toBe(`"${h1ZipHash(module).slice(3).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}"`);
  });

  it('a failed fetch fails every waiter with the same reason', async () => {
    upstream.clearFailures();
    upstream.fail((path) => path.includes('/@v/v1.0.1.'), { status: 500, body: 'storage exploded' });
    const url = `${proxy.url}/github.com/acme/bigzip/@v/v1.0.1.mod`;
    const answers = await Promise.all(
      Array.from({ length: 16 }, async () => {
        const response = await request(url);
        return `${response.statusCode} ${await response.body.text()}`;
      }),
    );
    expect(new Set(answers).size).toBe(1);
    expect(answers[0]).toMatch(/^502 .*answered 500: storage exploded/);
    expect(upstream.count('v1.0.1.mod')).toBe(1);
  });
});
