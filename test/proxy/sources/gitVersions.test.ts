// The git version rules (proxy/sources/git/versions.ts) through the git source alone: the fixture
// repositories of test/fixtures/gitRepos.ts, served by git-http-backend on 127.0.0.1, and the
// outcome the go command gives each query with GOPROXY=direct (gitRepos.test.ts proves those).
// The end-to-end test compares the whole proxy with the go command; this one points at the source.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryCache } from '../../../proxy/memoryCache.ts';
import type { ModuleRequest } from '../../../proxy/protocol/index.ts';
import { GitSource } from '../../../proxy/sources/index.ts';
import { makeTempDir, removeTempDir } from '../../fixtures/goCommand.ts';
import { buildGitRepos, type GitCase } from '../../fixtures/gitRepos.ts';
import { startGitServer, type GitServer } from '../../fixtures/gitServer.ts';

const root = await makeTempDir('gomodproxy-git-versions-');
const built = await buildGitRepos(root);
let cacheDir: string;
let server: GitServer;
let git: GitSource;

beforeAll(async () => {
  server = await startGitServer(root);
  cacheDir = await makeTempDir('gomodproxy-git-versions-cache-');
  git = new GitSource({
    cacheDir,
    hosts: { 'github.com': { url: server.url } },
    refreshMs: 60_000,
    timeoutMs: 60_000,
    memoryCache: new MemoryCache(1 << 20),
  });
});

afterAll(async () => {
  await server?.close();
  if (cacheDir) await removeTempDir(cacheDir);
  await removeTempDir(root);
});

/**
 * What the source is asked for a go command query: `latest` is the @latest endpoint; a semver
 * prefix or comparison ("v1", "v1.2", "<v1.2.0", "upgrade") is resolved by the go command itself
 * from the list, so it never reaches a source and is left to the end-to-end test.
 */
function requestFor(query: string): ModuleRequest | null {
  const at = query.lastIndexOf('@');
  const module = query.slice(0, at);
  const version = query.slice(at + 1);
  if (version === 'latest') return { kind: 'latest', module };
  if (/^v\d+(\.\d+)?$/.test(version) || /^[<>]/.test(version) || version === 'upgrade' || version === 'patch') return null;
  return { kind: 'info', module, version };
}

const byRepo = new Map<string, GitCase[]>();
for (const c of built.cases) byRepo.set(c.repo, [...(byRepo.get(c.repo) ?? []), c]);

describe.each([...byRepo.keys()])('%s', (repo) => {
  for (const c of byRepo.get(repo)!) {
    it(c.name, async () => {
      for (const query of c.queries) {
        const request = requestFor(query);
        if (!request) continue;
        const outcome = c.outcomes[query]!;
        // Retractions are the go command's to apply (it reads the latest go.mod); a source's @latest does not.
        if (request.kind === 'latest' && c.repo === 'acme-retract') continue;
        const version = git.fetchBytes(request).then((body) => (JSON.parse(body.toString()) as { Version: string }).Version);
        if ('version' in outcome) {
          await expect(version, `${query}: ${c.note}`).resolves.toBe(outcome.version);
          continue;
        }
        // A query the go command fails fails here too: when resolving it, or when building its zip.
        const zip = version.then(async (resolved) => {
          const folder = await makeTempDir('gomodproxy-git-versions-zip-');
          try {
            await git.fetchToFile({ kind: 'zip', module: request.module, version: resolved }, join(folder, 'module.zip'));
          } finally {
            await removeTempDir(folder);
          }
        });
        await expect(zip, `${query}: ${c.note}`).rejects.toThrow();
      }
    });
  }
});
