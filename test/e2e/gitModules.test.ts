// Private modules built straight from git: for every fixture repository, the go command with
// GOPROXY=direct (building the module itself) and the go command through the proxy must agree on
// every query: the same Version, the same zip and go.mod hashes, or both fail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goModDownloadJson, makeGoHome, makeTempDir, removeTempDir, type GoHome, type GoModDownload } from '../fixtures/goCommand.ts';
import { buildGitRepos, gitEnvExtra, type GitCase } from '../fixtures/gitRepos.ts';
import { startGitServer, writeGitConfig, type GitServer } from '../fixtures/gitServer.ts';
import { startTestProxy, type TestProxy } from './harness.ts';

const root = await makeTempDir('gomodproxy-git-repos-');
const built = await buildGitRepos(root);

/** The queries of each repository, grouped so one go command answers them all. */
const byRepo = new Map<string, GitCase[]>();
for (const c of built.cases) byRepo.set(c.repo, [...(byRepo.get(c.repo) ?? []), c]);

let server: GitServer;
let proxy: TestProxy;
let direct: GoHome;
let throughProxy: GoHome;

beforeAll(async () => {
  server = await startGitServer(root);
  direct = await makeGoHome({ goproxy: 'direct', allowDirect: true, extra: gitEnvExtra() });
  await writeGitConfig(direct.home, server.url);
  proxy = await startTestProxy({ upstream: 'off', private: ['github.com/acme'], gitHosts: { 'github.com': { url: server.url } } });
  throughProxy = await makeGoHome({ goproxy: proxy.url });
});

afterAll(async () => {
  await throughProxy?.dispose();
  await direct?.dispose();
  await proxy?.dispose();
  await server?.close();
  await removeTempDir(root);
});

function keyed(results: GoModDownload[], queries: string[]): Map<string, GoModDownload> {
  // The go command answers in argument order, one object per argument.
  return new Map(queries.map((q, i) => [q, results[i]!]));
}

describe.each([...byRepo.keys()])('%s', (repo) => {
  const cases = byRepo.get(repo)!;
  const queries = cases.flatMap((c) => c.queries);

  it(`agrees with GOPROXY=direct on ${queries.length} queries`, async () => {
    const want = keyed(await goModDownloadJson(queries, { env: direct.env, timeoutMs: 60_000 }), queries);
    const got = keyed(await goModDownloadJson(queries, { env: throughProxy.env, timeoutMs: 60_000 }), queries);
    for (const query of queries) {
      const w = want.get(query)!;
      const g = got.get(query)!;
      if (query.split('@')[1]!.includes('/')) {
        // The protocol cannot carry a branch name with a slash: the go command refuses before
        // asking any proxy (proxy.golang.org included). Only GOPROXY=direct can resolve it.
        expect(g.Error).toMatch(/disallowed version string/);
        continue;
      }
      if (w.Error) {
        expect(g.Error, `${query}: direct failed (${w.Error}) but the proxy answered ${g.Version}`).toBeDefined();
        continue;
      }
      expect(g.Error, `${query}: ${g.Error}`).toBeUndefined();
      expect(g.Version, query).toBe(w.Version);
      expect(g.Sum, `${query} zip hash`).toBe(w.Sum);
      expect(g.GoModSum, `${query} go.mod hash`).toBe(w.GoModSum);
    }
  });
});

describe('privacy and failures', () => {
  it('answers a private module that does not exist with 403 and a reason', async () => {
    const response = await fetch(`${proxy.url}/github.com/acme/no-such-repo/@v/list`);
    expect(response.status).toBe(403);
    expect(await response.text()).toMatch(/not found/);
  });
});
