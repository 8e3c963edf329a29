// Upstream answers passed on as the protocol means them: an upstream's 404/410 and 403 are "not
// here" for the client (404/410, with the upstream's reason, short and sanitised), so that the go
// command goes on along its own list; an upstream failing is 502, not answering 504. Each failed
// request is one log line. A 403 the proxy decides itself (a private path) stays 403.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goModDownloadJson, makeGoHome, runGo } from '../fixtures/goCommand.ts';
import { standardCorpus, writeModuleTree } from '../fixtures/moduleTree.ts';
import { startUpstream, type Upstream } from '../fixtures/upstreamServer.ts';
import { startTestProxy, tempFolder, type TestProxy } from './harness.ts';

const REFUSAL_PAGE = '<html><head><title>403 Forbidden</title></head>\n<body><h1>Forbidden</h1>\n<p>not available: \u001b[31mblocked by the registry\u001b[0m</p></body></html>';

let tree: { path: string; dispose(): Promise<void> };
let upstream: Upstream;
let proxy: TestProxy;
const lines: string[] = [];

/** The proxy's log lines about one request path. */
const logLinesFor = (path: string) => lines.filter((line) => line.includes(`"path":"${path}"`));

beforeAll(async () => {
  tree = await tempFolder('gomodproxy-upstream-answers-');
  await writeModuleTree(tree.path, standardCorpus());
  upstream = await startUpstream(tree.path);
  // A registry that refuses the prefix probes of the go command, as some do.
  upstream.fail((path) => path === '/github.com/@v/list' || path === '/github.com/acme/@v/list' || path === '/github.com/@latest' || path === '/github.com/acme/@latest', {
    status: 403,
    body: REFUSAL_PAGE,
  });
  upstream.fail((path) => path.startsWith('/example.com/broken/'), { status: 500, body: 'database on fire' });
  upstream.fail((path) => path.startsWith('/github.com/acme/multi/'), { status: 403, body: 'not available: license not approved' });
  upstream.fail((path) => path.startsWith('/example.com/gone/'), { status: 410, body: 'removed' });
  proxy = await startTestProxy({
    upstream: upstream.url,
    private: ['github.com/acme/secret'],
    // The private source's git host says "no such repository" (the upstream server answers 404).
    gitHosts: { 'github.com': { url: upstream.url } },
    logger: pino({ level: 'info' }, { write: (line: string) => void lines.push(line) }),
  });
});

afterAll(async () => {
  await proxy?.dispose();
  await upstream?.close();
  await tree?.dispose();
});

describe('upstream answers', () => {
  it.each([
    { path: '/github.com/@v/list', status: 404, reason: /not available there \(403\): 403 Forbidden Forbidden not available: \[31mblocked by the registry \[0m$/ },
    { path: '/example.com/gone/@v/list', status: 410, reason: /gone: removed$/ },
    { path: '/example.com/missing/@v/list', status: 404, reason: /not found/ },
    { path: '/example.com/broken/@v/list', status: 502, reason: /answered 500: database on fire$/ },
  ])('$path: the upstream answers, the client gets $status with its reason', async ({ path, status, reason }) => {
    const response = await fetch(`${proxy.url}${path}`);
    const body = (await response.text()).trim();
    expect(response.status, body).toBe(status);
    expect(body).toMatch(reason);
    expect(body).not.toMatch(/[<>\u001b]/);
    expect(body.length).toBeLessThan(400);
  });

  it('a private path is still denied with 403, by the proxy itself', async () => {
    const response = await fetch(`${proxy.url}/github.com/acme/secret/@v/list`);
    expect(response.status).toBe(403);
  });

  it('writes one log line per failed request: the request line, with the code and the reason', async () => {
    for (const path of ['/github.com/acme/@latest', '/example.com/broken/@latest']) {
      await fetch(`${proxy.url}${path}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const logged = logLinesFor(path);
      expect(logged, path).toHaveLength(1);
      const line = JSON.parse(logged[0]!);
      expect(line.msg).toBe('request');
      expect(line.code).toBe(path.includes('broken') ? 'UPSTREAM_FAILED' : 'UPSTREAM_REFUSED');
      // A failure of an upstream is a warning; "not here" is not.
      expect(line.level).toBe(path.includes('broken') ? 40 : 30);
    }
  });

  it('lets go get resolve a package while the upstream refuses the prefix probes', async () => {
    const home = await makeGoHome({ goproxy: proxy.url });
    try {
      const dir = join(home.home, 'consumer');
      await mkdir(dir);
      await writeFile(join(dir, 'go.mod'), 'module example.com/consumer\n\ngo 1.21\n');
      const before = upstream.requests.filter((r) => r.status === 403).length;
      const result = await runGo(['get', 'github.com/acme/base@latest'], { cwd: dir, env: home.env });
      expect(result.stderr).toMatch(/added github\.com\/acme\/base v1\.2\.3/);
      // The go command did ask the prefixes, the upstream refused them, and the proxy said "not here" quietly.
      expect(upstream.requests.filter((r) => r.status === 403).length).toBeGreaterThan(before);
      const probes = ['/github.com/@v/list', '/github.com/acme/@v/list'].flatMap(logLinesFor).map((line) => JSON.parse(line));
      expect(probes.length).toBeGreaterThan(0);
      expect(probes.map((p) => [p.status, p.level])).toEqual(probes.map(() => [404, 30]));
    } finally {
      await home.dispose();
    }
  });

  it("lets the go command go on along its own GOPROXY list when the proxy's upstream refuses a module", async () => {
    const next = await startUpstream(tree.path);
    const home = await makeGoHome({ goproxy: `${proxy.url},${next.url}` });
    try {
      const [result] = await goModDownloadJson(['github.com/acme/multi@v1.0.0'], { env: home.env });
      expect(result!.Error).toBeUndefined();
      expect(next.count('/github.com/acme/multi/')).toBeGreaterThan(0);
    } finally {
      await home.dispose();
      await next.close();
    }
  });
});
