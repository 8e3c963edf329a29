// `direct` for public vanity paths (golang.org/x/…, k8s.io/…, gopkg.in/…): the module's ?go-get=1
// page says where its repository is, as it does for the go command, within direct's safeguards (no
// credentials, no redirects, checked addresses). Nothing here resolves a name: the vanity host's
// page and the repository's host are mapped to 127.0.0.1 servers by the git host map, which the
// test's direct.allowInternal (127.0.0.1) lets direct reach.
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryCache } from '../../proxy/memoryCache.ts';
import { DirectPolicy, GitSource } from '../../proxy/sources/index.ts';
import { goModDownloadJson, makeGoHome, makeTempDir, removeTempDir, runGo } from '../fixtures/goCommand.ts';
import { startGitServer, type GitServer } from '../fixtures/gitServer.ts';
import { startRecordingServer, type RecordingServer } from '../fixtures/recordingServer.ts';
import { startTestProxy, type TestProxy } from './harness.ts';

const MODULE = 'vanity.example/tools';

function git(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd }, (err) => (err ? reject(err) : resolve())),
  );
}

let work: string;
let server: GitServer;
/** The vanity host's pages: the repository is on another origin, code.vanity.example. */
let pages: RecordingServer;
let proxy: TestProxy;
const lines: string[] = [];

beforeAll(async () => {
  work = await makeTempDir('gomodproxy-vanity-');
  const tree = join(work, 'tree');
  await mkdir(join(tree, 'lint'), { recursive: true });
  await writeFile(join(tree, 'go.mod'), `module ${MODULE}\n\ngo 1.21\n`);
  await writeFile(join(tree, 'lint', 'lint.go'), 'package lint\n\nfunc Name() string { return "vanity lint" }\n');
  await git(['init', '-q', '-b', 'main'], tree);
  await git(['add', '.'], tree);
  await git(['commit', '-q', '-m', 'tools'], tree);
  await git(['tag', 'v1.0.0'], tree);
  await git(['clone', '-q', '--bare', tree, join(work, 'repos', 'vanity-tools.git')], work);
  server = await startGitServer(join(work, 'repos'));
  pages = await startRecordingServer({
    status: 200,
    headers: { 'content-type': 'text/html' },
    body: `<html><head><meta name="go-import" content="${MODULE} git https://code.vanity.example/vanity-tools"></head></html>`,
  });
  proxy = await startTestProxy({
    upstream: 'direct',
    gitHosts: { 'vanity.example': { url: pages.url, discover: true }, 'code.vanity.example': { url: server.url } },
    logger: pino({ level: 'info' }, { write: (line: string) => void lines.push(line) }),
  });
});

afterAll(async () => {
  await proxy?.dispose();
  await pages?.close();
  await server?.close();
  await removeTempDir(work);
});

describe('direct for a public vanity path', () => {
  it('is found by its ?go-get=1 page on another origin, and the go command builds with it', async () => {
    const home = await makeGoHome({ goproxy: proxy.url });
    try {
      const [result] = await goModDownloadJson([`${MODULE}@v1.0.0`], { env: home.env });
      expect(result!.Error).toBeUndefined();
      expect(result!.Sum).toMatch(/^h1:/);
      const dir = join(home.home, 'program');
      await mkdir(dir);
      await writeFile(join(dir, 'go.mod'), `module example.com/program\n\ngo 1.21\n\nrequire ${MODULE} v1.0.0\n`);
      await writeFile(join(dir, 'main.go'), `package main\n\nimport (\n\t"fmt"\n\n\t"${MODULE}/lint"\n)\n\nfunc main() { fmt.Println(lint.Name()) }\n`);
      await runGo(['mod', 'tidy'], { cwd: dir, env: home.env });
      expect((await runGo(['run', '.'], { cwd: dir, env: home.env })).stdout).toBe('vanity lint\n');
    } finally {
      await home.dispose();
    }
    const info = JSON.parse(await (await fetch(`${proxy.url}/${MODULE}/@v/v1.0.0.info`)).text());
    expect(info.Origin).toMatchObject({ VCS: 'git', URL: 'https://code.vanity.example/vanity-tools', Ref: 'refs/tags/v1.0.0' });
    expect(pages.requests.map((r) => r.path)).toContain('/tools?go-get=1');
    // No credentials went anywhere.
    expect(pages.authorized()).toEqual([]);
    expect(server.count('/vanity-tools')).toBeGreaterThan(0);
  });

  it('says `direct` for its upstream, at start and for what it fetched', () => {
    const start = lines.map((line) => JSON.parse(line)).find((line) => line.msg === 'gomodproxy serving');
    expect(start.upstream).toBe('direct');
    const fetched = lines.map((line) => JSON.parse(line)).filter((line) => line.msg === 'request' && line.cache === 'miss');
    expect(fetched.length).toBeGreaterThan(0);
    expect(new Set(fetched.map((line) => line.upstream))).toEqual(new Set(['direct']));
  });

  it('answers a path the page does not name with 404, so the go command reports it missing', async () => {
    const response = await fetch(`${proxy.url}/vanity.example/other/@v/list`);
    const reason = await response.text();
    expect(response.status, reason).toBe(404);
    expect(reason).toMatch(/no go-import meta tag/);
  });

  it('asks https://<host> of a path no rule or host entry places, at the address its policy checked', async () => {
    // The resolver stands for DNS: it names an address in 127.0.0.0/8 where nothing listens, so
    // the page cannot be fetched, and the question shows where direct went.
    const asked: string[] = [];
    const source = new GitSource({
      cacheDir: join(work, 'default-page-git'),
      hosts: {},
      refreshMs: 60_000,
      timeoutMs: 10_000,
      direct: new DirectPolicy({ vcs: '*:git', allowInternal: ['127.0.0.0/8'] }, async (host) => {
        asked.push(host);
        return ['127.0.0.77'];
      }),
      memoryCache: new MemoryCache(1 << 20),
    });
    const failure = await source.fetchBytes({ kind: 'list', module: 'golang.example/x/tools' }).catch((err: unknown) => err as Error);
    expect(asked).toEqual(['golang.example']);
    expect(failure).toMatchObject({ code: 'UPSTREAM_FAILED' });
    expect((failure as Error).message).toMatch(/\?go-get=1 discovery failed: the page cannot be reached/);
    expect((failure as Error).message).not.toMatch(/host map/);
  });
});
