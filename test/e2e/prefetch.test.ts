// `gomodproxy prefetch`, run as the installed command: it warms a store from a go.sum, a go.mod
// (what `go mod download all` fetches) or module@version arguments, through the same upstreams and checksum
// checks as serve; a proxy with no upstream at all then serves a build from that store.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildableProgram, standardCorpus, writeModuleTree } from '../fixtures/moduleTree.ts';
import { startChecksumDatabase, type ChecksumDatabaseServer } from '../fixtures/sumdbServer.ts';
import { startUpstream, type Upstream } from '../fixtures/upstreamServer.ts';
import { productionCommand, repositoryRoot, runGomodproxy, runProgramFromStoreOnly, tempFolder } from './harness.ts';

describe('gomodproxy prefetch', () => {
  const program = buildableProgram();
  let tree: { path: string; dispose(): Promise<void> };
  let work: { path: string; dispose(): Promise<void> };
  let upstream: Upstream;
  let db: ChecksumDatabaseServer;

  beforeAll(async () => {
    tree = await tempFolder('gomodproxy-prefetch-tree-');
    work = await tempFolder('gomodproxy-prefetch-work-');
    await writeModuleTree(tree.path, standardCorpus());
    upstream = await startUpstream(tree.path);
    db = await startChecksumDatabase();
    await db.addFixtures(standardCorpus());
    await writeFile(join(work.path, 'go.mod'), program.goMod);
    await writeFile(join(work.path, 'go.sum'), program.goSum);
  });
  afterAll(async () => {
    await db?.close();
    await upstream?.close();
    await work?.dispose();
    await tree?.dispose();
  });

  const prefetch = (store: string, inputs: string[], extra: string[] = []) =>
    runGomodproxy(['prefetch', '--storage-path', store, '--upstream', upstream.url, ...extra, ...inputs], { GOMODPROXY_SUMDB: db.setting });

  it('warms a store from go.mod with what go mod download all fetches, and a build needs nothing else', async () => {
    const store = await tempFolder('gomodproxy-prefetch-store-');
    try {
      const run = await prefetch(store.path, [join(work.path, 'go.mod')]);
      // Off a terminal stderr has progress lines only, the last one the closing line.
      const progressLines = run.stderr.trimEnd().split('\n');
      expect(progressLines.every((line) => line.startsWith('prefetch: ')), run.stderr).toBe(true);
      expect(progressLines.at(-1)).toMatch(/^prefetch: finished (\d+)\/\1 in \S+, [\d.]+ (B|KiB|MiB) at [\d.]+ (B|KiB|MiB)\/s$/);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^prefetch: \d+ module versions: \d+ fetched, 0 already cached, 0 failed\n$/);
      expect(await runProgramFromStoreOnly(store.path)).toBe(program.expectedOutput);

      // Again: everything is cached and the upstream is not asked for any file.
      const before = upstream.requests.length;
      const again = await prefetch(store.path, [join(work.path, 'go.mod')], ['--json']);
      expect(again.code).toBe(0);
      const summary = JSON.parse(again.stdout) as { versions: number; fetched: number; cached: number; failed: number };
      expect(summary).toMatchObject({ fetched: 0, failed: 0 });
      expect(summary.cached).toBe(summary.versions);
      expect(upstream.requests.length).toBe(before);
    } finally {
      await store.dispose();
    }
  });

  it('warms a store from go.sum, checking every hash against it', async () => {
    const store = await tempFolder('gomodproxy-prefetch-store-');
    try {
      const run = await prefetch(store.path, [join(work.path, 'go.sum')], ['--json']);
      expect(run.code).toBe(0);
      const summary = JSON.parse(run.stdout) as { versions: number; fetched: number };
      expect(summary.versions).toBe(program.goSum.trim().split('\n').filter((l) => !l.includes('/go.mod ')).length);
      expect(summary.fetched).toBe(summary.versions);
    } finally {
      await store.dispose();
    }
  });

  it('lists every failure with its reason and exits 1, keeping what worked', async () => {
    const store = await tempFolder('gomodproxy-prefetch-store-');
    const wrongSum = join(work.path, 'wrong.sum');
    const [first] = program.goSum.split('\n');
    const [path, version] = first!.split(' ');
    await writeFile(wrongSum, `${path} ${version} h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n`);
    try {
      const run = await prefetch(store.path, [wrongSum, 'github.com/acme/nowhere@v1.0.0', program.requires[0]!]);
      expect(run.code).toBe(1);
      expect(run.stdout).toContain(`failed ${path}@${version}: go.sum says ${path} ${version} h1:AAAA`);
      expect(run.stdout).toMatch(/failed github\.com\/acme\/nowhere@v1\.0\.0: .*(404|not found)/i);
      expect(run.stdout).toMatch(/prefetch: \d+ module versions: [1-9]\d* fetched, 0 already cached, 2 failed/);
    } finally {
      await store.dispose();
    }
  });

  it('off a terminal writes a progress line at a steady interval, naming what is slow, and a closing line', async () => {
    const store = await tempFolder('gomodproxy-prefetch-store-');
    // The zip of one required version is held at the upstream until its progress line is seen.
    const slow = program.requires[0]!;
    const [slowPath, slowVersion] = slow.split('@') as [string, string];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    upstream.fail((path) => path === `/${slowPath}/@v/${slowVersion}.zip`, { until: held }, { times: 1 });
    const { command, args } = productionCommand();
    const child = spawn(
      command,
      [...args, 'prefetch', '--storage-path', store.path, '--upstream', upstream.url, '--progress-every', '100ms', join(work.path, 'go.mod')],
      { cwd: repositoryRoot, env: { PATH: process.env['PATH'] ?? '', GOMODPROXY_SUMDB: db.setting }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const slowLine = await new Promise<string>((resolve, reject) => {
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          const line = stderr.split('\n').find((l) => l.includes(`slowest under way: ${slow} .zip (`));
          if (line) resolve(line);
        });
        void exited.then(() => reject(new Error(`prefetch ended before its slow zip was reported:\n${stderr}`)));
      });
      // Count of files done, bytes fetched, their rate, time so far, and the file held up.
      expect(slowLine).toMatch(new RegExp(`^prefetch: \\d+/\\d+ done, [\\d.]+ (B|KiB|MiB) at [\\d.]+ (B|KiB|MiB)/s, \\S+; slowest under way: ${slow.replace(/[.+]/g, '\\$&')} \\.zip \\(\\S+\\)$`));
      release();
      expect(await exited).toBe(0);
      const lines = stderr.trimEnd().split('\n');
      expect(lines.every((line) => line.startsWith('prefetch: ')), stderr).toBe(true);
      expect(lines.at(-1)).toMatch(/^prefetch: finished (\d+)\/\1 in \S+, [\d.]+ (B|KiB|MiB) at /);
      expect(stdout).toMatch(/^prefetch: \d+ module versions: \d+ fetched, 0 already cached, 0 failed\n$/);
    } finally {
      release();
      child.kill();
      upstream.clearFailures();
      await store.dispose();
    }
  });

  it('refuses a malformed --progress-every with exit code 2', async () => {
    const bad = await runGomodproxy(['prefetch', '--upstream', 'off', '--progress-every', 'often', join(work.path, 'go.mod')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('gomodproxy: --progress-every often: give a duration such as 10s, 1m or 500ms\n');
  });

  it('refuses inputs it cannot read, with exit code 2 and one line', async () => {
    const missing = await runGomodproxy(['prefetch', '--upstream', 'off', join(work.path, 'nope', 'go.mod')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^gomodproxy: cannot read .*nope\/go\.mod: ENOENT\n$/);
    const odd = await runGomodproxy(['prefetch', '--upstream', 'off', 'README.md']);
    expect(odd.code).toBe(2);
    expect(odd.stderr).toMatch(/is not a go\.mod, go\.sum or go\.work file, nor module@version/);
  });
});
