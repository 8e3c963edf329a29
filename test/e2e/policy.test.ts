// The module policy as the go command meets it: a denied version fails with the policy's reason
// in the go command's error, `go get m@latest` picks the newest allowed version, a denied version
// already in storage is not served, and in allow-list mode other modules are never fetched.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goModDownloadJson, makeGoHome, runGo } from '../fixtures/goCommand.ts';
import { goSumLines, writeModuleTree, type FixtureModule } from '../fixtures/moduleTree.ts';
import { startUpstream, type Upstream } from '../fixtures/upstreamServer.ts';
import { runGomodproxy, startTestProxy, tempFolder, type TestProxy } from './harness.ts';

const lib = (version: string): FixtureModule => ({
  path: 'github.com/acme/lib',
  version,
  files: { 'lib.go': `package lib\n\nconst Version = "${version}"\n` },
});
const modules: FixtureModule[] = [
  lib('v1.0.0'),
  lib('v1.1.0'),
  lib('v1.2.0'),
  lib('v1.2.1'),
  { path: 'github.com/acme/other', version: 'v1.0.0', files: { 'other.go': 'package other\n' } },
];
const reason = 'CVE-2026-0001 in the parser; use v1.1.0';
const denyLib = { module: 'github.com/acme/lib', versions: '>=v1.2.0 <v1.3.0', reason };

describe('policy with the go command', () => {
  let tree: { path: string; dispose(): Promise<void> };
  let store: { path: string; dispose(): Promise<void> };
  let upstream: Upstream;
  let proxy: TestProxy;

  beforeAll(async () => {
    tree = await tempFolder('gomodproxy-policy-tree-');
    store = await tempFolder('gomodproxy-policy-store-');
    await writeModuleTree(tree.path, modules);
    upstream = await startUpstream(tree.path);
    // v1.2.0 is stored before the policy exists.
    const before = await startTestProxy({ upstream: upstream.url, storagePath: store.path });
    const home = await makeGoHome({ goproxy: before.url });
    try {
      const [result] = await goModDownloadJson(['github.com/acme/lib@v1.2.0'], { env: home.env });
      expect(result?.Error).toBeUndefined();
    } finally {
      await home.dispose();
      await before.dispose();
    }
    proxy = await startTestProxy({ upstream: upstream.url, storagePath: store.path, access: { policy: { deny: [denyLib] } } });
  });

  afterAll(async () => {
    await proxy?.dispose();
    await upstream?.close();
    await store?.dispose();
    await tree?.dispose();
  });

  it('refuses a denied version with 403, and the go command shows the reason', async () => {
    const home = await makeGoHome({ goproxy: proxy.url });
    try {
      const [denied, allowed] = await goModDownloadJson(['github.com/acme/lib@v1.2.1', 'github.com/acme/lib@v1.1.0'], { env: home.env });
      expect(denied?.Error).toContain('403 Forbidden');
      expect(denied?.Error).toContain(reason);
      expect(allowed?.Error).toBeUndefined();
    } finally {
      await home.dispose();
    }
  });

  it('does not serve a denied version that is already in storage', async () => {
    for (const file of ['info', 'mod', 'zip']) {
      const response = await fetch(`${proxy.url}/github.com/acme/lib/@v/v1.2.0.${file}`);
      expect(response.status, file).toBe(403);
      expect(await response.text()).toContain(reason);
    }
  });

  it('leaves denied versions out of list and @latest, so go get @latest picks the newest allowed one', async () => {
    expect(await (await fetch(`${proxy.url}/github.com/acme/lib/@v/list`)).text()).toBe('v1.0.0\nv1.1.0\n');
    expect(JSON.parse(await (await fetch(`${proxy.url}/github.com/acme/lib/@latest`)).text()).Version).toBe('v1.1.0');

    const home = await makeGoHome({ goproxy: proxy.url });
    try {
      const dir = join(home.home, 'app');
      await mkdir(dir);
      await writeFile(join(dir, 'go.mod'), 'module example.com/app\n\ngo 1.21\n');
      await runGo(['get', 'github.com/acme/lib@latest'], { cwd: dir, env: home.env });
      expect(await readFile(join(dir, 'go.mod'), 'utf8')).toContain('github.com/acme/lib v1.1.0');
      // The go command resolves a query from the list: denied versions are not there to match.
      const query = await runGo(['get', 'github.com/acme/lib@v1.2'], { cwd: dir, env: home.env, allowFailure: true });
      expect(query.code).not.toBe(0);
      expect(query.stderr).toContain('no matching versions for query "v1.2"');
    } finally {
      await home.dispose();
    }
  });

  it('refuses every version of a module denied without versions, its list and @latest too', async () => {
    const whole = await startTestProxy({
      upstream: upstream.url,
      access: { policy: { deny: [{ module: 'github.com/acme/*', reason: 'acme modules are retired' }] } },
    });
    try {
      for (const path of ['github.com/acme/other/@v/list', 'github.com/acme/other/@latest', 'github.com/acme/other/@v/v1.0.0.zip']) {
        const response = await fetch(`${whole.url}/${path}`);
        expect(response.status, path).toBe(403);
        expect(await response.text()).toContain('acme modules are retired');
      }
    } finally {
      await whole.dispose();
    }
  });

  it('in allow-list mode fetches only allowed modules, and never asks upstream for others', async () => {
    const allowOnly = await startTestProxy({ upstream: upstream.url, access: { policy: { allow: ['github.com/acme/lib'] } } });
    const home = await makeGoHome({ goproxy: allowOnly.url });
    const asked = upstream.count('acme/other');
    try {
      const [other, allowed] = await goModDownloadJson(['github.com/acme/other@v1.0.0', 'github.com/acme/lib@v1.1.0'], { env: home.env });
      expect(other?.Error).toContain('403 Forbidden');
      expect(other?.Error).toContain('not on the allow list');
      expect(allowed?.Error).toBeUndefined();
      const list = await fetch(`${allowOnly.url}/github.com/acme/other/@v/list`);
      expect(list.status).toBe(403);
      expect(upstream.count('acme/other')).toBe(asked);
    } finally {
      await home.dispose();
      await allowOnly.dispose();
    }
  });

  const policySettings = async (name: string, policy: object) => {
    const file = join(store.path, name);
    await writeFile(file, `policy: ${JSON.stringify(policy)}\n`);
    return file;
  };
  const deniedMessage = (version: string) => `github.com/acme/lib@${version} is denied by the proxy's policy: ${reason}`;
  const notAllowedMessage = "github.com/acme/other is not on the allow list of this proxy (policy.allow); ask its operators to add it";
  /** What the go command gets from a proxy that serves `storePath` alone, per module@version (undefined: downloaded). */
  const downloadFromStoreOnly = async (storePath: string, targets: string[]) => {
    const offline = await startTestProxy({ upstream: 'off', storagePath: storePath });
    const home = await makeGoHome({ goproxy: offline.url });
    try {
      return (await goModDownloadJson(targets, { env: home.env })).map((result) => result?.Error);
    } finally {
      await home.dispose();
      await offline.dispose();
    }
  };

  it('prefetch skips the versions the policy denies, fetches nothing of them, and says which and why', async () => {
    const settings = await policySettings('deny.yaml', { deny: [denyLib] });
    const target = await tempFolder('gomodproxy-policy-prefetch-');
    const asked = upstream.count('acme/lib/@v/v1.2.1');
    try {
      const run = await runGomodproxy([
        'prefetch', '--config', settings, '--storage-path', target.path, '--upstream', upstream.url,
        'github.com/acme/lib@v1.2.1', 'github.com/acme/lib@latest',
      ]);
      expect(run.code, run.stderr).toBe(0);
      // @latest is the newest allowed version, as the serving proxy answers it.
      expect(run.stdout).toBe(
        'prefetch: 2 module versions: 1 fetched, 0 already cached, 1 skipped by the policy, 0 failed\n' +
          `  skipped github.com/acme/lib@v1.2.1: ${deniedMessage('v1.2.1')}\n`,
      );
      expect(upstream.count('acme/lib/@v/v1.2.1')).toBe(asked);
      const [allowed, denied] = await downloadFromStoreOnly(target.path, ['github.com/acme/lib@v1.1.0', 'github.com/acme/lib@v1.2.1']);
      expect(allowed).toBeUndefined();
      expect(denied).toMatch(/404 Not Found|410 Gone/);
    } finally {
      await target.dispose();
    }
  });

  it('prefetch in allow-list mode skips other modules without asking upstream for them', async () => {
    const settings = await policySettings('allow.yaml', { allow: ['github.com/acme/lib'] });
    const target = await tempFolder('gomodproxy-policy-prefetch-');
    const asked = upstream.count('acme/other');
    try {
      const run = await runGomodproxy([
        'prefetch', '--config', settings, '--storage-path', target.path, '--upstream', upstream.url, '--json',
        'github.com/acme/other@v1.0.0', 'github.com/acme/lib@v1.0.0',
      ]);
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({
        versions: 2,
        fetched: 1,
        skipped: 1,
        failed: 0,
        skips: [{ module: 'github.com/acme/other', version: 'v1.0.0', reason: notAllowedMessage }],
      });
      expect(upstream.count('acme/other')).toBe(asked);
    } finally {
      await target.dispose();
    }
  });

  it('import skips the versions the policy refuses, stores the rest, and says which and why', async () => {
    const source = await tempFolder('gomodproxy-policy-import-source-');
    const target = await tempFolder('gomodproxy-policy-import-target-');
    try {
      const filled = await runGomodproxy([
        'prefetch', '--storage-path', source.path, '--upstream', upstream.url,
        'github.com/acme/lib@v1.1.0', 'github.com/acme/lib@v1.2.1', 'github.com/acme/other@v1.0.0',
      ]);
      expect(filled.code, filled.stdout + filled.stderr).toBe(0);
      const bundle = join(source.path, 'bundle.tar');
      const exported = await runGomodproxy(['export', '--storage-path', source.path, '--all', '--out', bundle]);
      expect(exported.code, exported.stderr).toBe(0);

      const settings = await policySettings('deny-and-allow.yaml', { deny: [denyLib], allow: ['github.com/acme/lib'] });
      const imported = await runGomodproxy(['import', '--config', settings, '--storage-path', target.path, '--upstream', 'off', bundle]);
      expect(imported.code, imported.stderr).toBe(0);
      const lines = imported.stdout.trimEnd().split('\n');
      expect(lines[0]).toBe('import: 1 module versions imported, 0 already stored, 2 skipped by the policy, 0 refused');
      expect(lines.slice(1).sort()).toEqual([
        `  skipped github.com/acme/lib@v1.2.1: ${deniedMessage('v1.2.1')}`,
        `  skipped github.com/acme/other@v1.0.0: ${notAllowedMessage}`,
      ]);
      const results = await downloadFromStoreOnly(target.path, ['github.com/acme/lib@v1.1.0', 'github.com/acme/lib@v1.2.1', 'github.com/acme/other@v1.0.0']);
      expect(results[0]).toBeUndefined();
      expect(results[1]).toMatch(/404 Not Found|410 Gone/);
      expect(results[2]).toMatch(/404 Not Found|410 Gone/);
    } finally {
      await target.dispose();
      await source.dispose();
    }
  });

  it('policy check says which go.sum lines the policy would refuse, exit code 1 when any', async () => {
    const settings = join(store.path, 'settings.yaml');
    await writeFile(settings, `policy:\n  deny:\n    - ${JSON.stringify(denyLib)}\n`);
    const all = join(store.path, 'all.go.sum');
    const clean = join(store.path, 'clean.go.sum');
    await writeFile(all, goSumLines(modules));
    await writeFile(clean, goSumLines(modules.filter((m) => !m.version.startsWith('v1.2.'))));

    const refused = await runGomodproxy(['policy', 'check', '--config', settings, all]);
    expect(refused.code, refused.stderr).toBe(1);
    const lines = refused.stdout.trim().split('\n');
    expect(lines.filter((line) => line.includes(reason)).map((line) => line.split(': ')[1])).toEqual([
      'github.com/acme/lib v1.2.0',
      'github.com/acme/lib v1.2.0/go.mod',
      'github.com/acme/lib v1.2.1',
      'github.com/acme/lib v1.2.1/go.mod',
    ]);
    expect(lines.at(-1)).toBe('4 of 10 lines refused by the policy');

    const allowed = await runGomodproxy(['policy', 'check', '--config', settings, clean]);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stdout).toBe(`${clean}: all 6 lines are allowed by the policy\n`);

    const malformed = await runGomodproxy(['policy', 'check', '--config', settings, settings]);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('not a go.sum line');
  });
});
