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
