// The container image, built from the Dockerfile (ensureImage.sh) and run by podman as a user
// would run it: its own entrypoint and command, its default settings file, a read-only root file
// system. The proxy in it serves the go command, runs as uid 1000 with production dependencies
// only, serves the web page it was built with, and on SIGTERM finishes the download in flight
// and exits 0.
// The pods the operator renders are run in the same image by operatorPods.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validate } from 'dockerfile-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoryRoot, tempFolder } from '../e2e/harness.ts';
import { freePort } from '../fixtures/freePort.ts';
import { goModDownloadJson, makeGoHome, type GoHome } from '../fixtures/goCommand.ts';
import { bigZipModule, escapeCase, standardCorpus, writeModuleTree } from '../fixtures/moduleTree.ts';
import { startChecksumDatabase, type ChecksumDatabaseServer } from '../fixtures/sumdbServer.ts';
import { startUpstream, type Upstream } from '../fixtures/upstreamServer.ts';
import { ensureImage, IMAGE_BUILD_TIMEOUT, startContainer, type Container } from './podman.ts';

const dockerfile = readFileSync(join(repositoryRoot, 'Dockerfile'), 'utf8');

describe('the Dockerfile', () => {
  it('has nothing the linter finds', () => {
    const problems = validate(dockerfile);
    expect(problems.map((p) => `${p.range.start.line + 1}: ${p.message}`)).toEqual([]);
  });

  it('builds on node:24 from Docker Hub unless told otherwise', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24[.\d]*-bookworm-slim$/m);
  });
});

describe('the image, run by podman', () => {
  // A zip too large to check on the event loop: its check runs in the bundled worker thread.
  const bigZip = bigZipModule(3 << 20);
  const corpus = [...standardCorpus(), bigZip];
  let tree: { path: string; dispose(): Promise<void> };
  let upstream: Upstream;
  let db: ChecksumDatabaseServer;
  let container: Container;
  let proxyUrl: string;
  let home: GoHome;

  beforeAll(async () => {
    const { image } = await ensureImage();
    tree = await tempFolder('gomodproxy-image-tree-');
    await writeModuleTree(tree.path, corpus);
    upstream = await startUpstream(tree.path);
    db = await startChecksumDatabase();
    await db.addFixtures(corpus);
    // The image's own command line and settings file; the variables override single settings,
    // as the Dockerfile says: the address (the host network is shared with the machine) and the
    // test's upstream and checksum database in place of the public ones.
    container = startContainer({
      image,
      readOnlyRoot: true,
      env: {
        GOMODPROXY_LISTEN: `127.0.0.1:${await freePort()}`,
        GOMODPROXY_UPSTREAM: upstream.url,
        GOMODPROXY_SUMDB: db.setting,
        GOMODPROXY_VULNDB_URL: 'off',
      },
    });
    proxyUrl = (await container.waitForOutput(/"url":"(http:\/\/[^"]+)"/))[1]!;
    home = await makeGoHome({ goproxy: proxyUrl, gosumdb: db.vkey });
  }, IMAGE_BUILD_TIMEOUT);
  afterAll(async () => {
    await container?.remove();
    await home?.dispose();
    await db?.close();
    await upstream?.close();
    await tree?.dispose();
  });

  it('serves modules to the go command and keeps them in /data, as its settings file says', async () => {
    const targets = corpus.slice(0, 6).map((m) => `${m.path}@${m.version}`);
    const results = await goModDownloadJson(targets, { env: home.env });
    expect(results.map((r) => r.Error ?? 'ok')).toEqual(targets.map(() => 'ok'));
    const stored = await container.exec(['find', '/data', '-name', '*.zip']);
    expect(stored.stdout.trim().split('\n')).toHaveLength(targets.length);
  });

  it('runs every command with its settings file: export finds the modules the server stored', async () => {
    const exported = await container.exec(['gomodproxy', 'export', '--all', '--out', '/tmp/all.tar', '--json']);
    expect(exported.code, exported.stderr).toBe(0);
    expect(JSON.parse(exported.stdout)).toMatchObject({ versions: 6, missing: [] });
  });

  it('checks a zip too large for the event loop in its worker thread, bundled like the rest', async () => {
    const target = `${bigZip.path}@${bigZip.version}`;
    const results = await goModDownloadJson([target], { env: home.env });
    expect(results.map((r) => r.Error ?? 'ok')).toEqual(['ok']);
  });

  it('serves the web page it was built with: the shell, and its assets compressed and cached for a year', async () => {
    const shell = await fetch(`${proxyUrl}/ui/usage`);
    expect(shell.status).toBe(200);
    expect(shell.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(shell.headers.get('cache-control')).toBe('no-cache');
    const html = await shell.text();
    expect(html).toBe(readFileSync(join(repositoryRoot, 'proxy', 'web', 'built', 'index.html'), 'utf8'));
    const assets = [...html.matchAll(/"\/assets\/([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.map((name) => name.replace(/\.[A-Z0-9]+\./, '.<hash>.')).sort()).toEqual(['main.<hash>.css', 'main.<hash>.js']);
    for (const name of assets) {
      const asset = await fetch(`${proxyUrl}/assets/${name}`, { headers: { 'accept-encoding': 'br' } });
      expect(asset.status, name).toBe(200);
      expect(asset.headers.get('content-encoding'), name).toBe('br');
      expect(asset.headers.get('cache-control'), name).toBe('public, max-age=31536000, immutable');
      expect(Buffer.from(await asset.arrayBuffer()).equals(readFileSync(join(repositoryRoot, 'proxy', 'web', 'built', 'assets', name))), name).toBe(true);
    }
  });

  it('runs as uid 1000 on a read-only root, as one bundle on its own Node: no node_modules', async () => {
    expect((await container.exec(['id', '-u'])).stdout.trim()).toBe('1000');
    const write = await container.exec(['touch', '/app/anything']);
    expect(write.code).not.toBe(0);
    expect(write.stderr).toMatch(/Read-only file system/);
    expect((await container.exec(['ls', '/app'])).stdout.trim().split('\n').sort()).toEqual(['THIRD-PARTY-NOTICES', 'bin', 'dist', 'package.json', 'web']);
    // The bundle leaves the libraries' own files behind: their licenses are in the notices.
    const notices = (await container.exec(['cat', '/app/THIRD-PARTY-NOTICES'])).stdout;
    for (const library of ['fastify', 'zod', 'pino', 'undici', '@aws-sdk/client-s3', '@kubernetes/client-node', 'preact']) expect(notices).toMatch(new RegExp(`^${library} \\d`, 'm'));
    expect(notices).toContain(readFileSync(join(repositoryRoot, 'node_modules', 'fastify', 'LICENSE'), 'utf8').trim());
    const resolves = async (name: string) => (await container.exec(['node', '-e', `require.resolve(${JSON.stringify(name)})`])).code === 0;
    expect(await resolves('fastify')).toBe(false);
    expect(await resolves('zod')).toBe(false);
    expect((await container.exec(['gomodproxy', '--help'])).code).toBe(0);
  });

  it('loads every part of its bundle, also those no test here runs (the other commands, the operator, the S3 client)', async () => {
    // Each chunk defines modules and runs their top-level code: a library that wanted a file or a
    // package left out of the bundle fails here. The entry points run a program and are left out.
    const script = [
      "import { readdirSync } from 'node:fs';",
      "const entries = new Set(['main.js', 'processSettings.js', 'checkZipWorker.js']);",
      "const chunks = readdirSync('/app/dist').filter((name) => !entries.has(name));",
      "for (const name of chunks) await import('/app/dist/' + name);",
      'console.log(chunks.length);',
    ].join('\n');
    const loaded = await container.exec(['node', '--input-type=module', '-e', script]);
    expect(loaded.stderr).toBe('');
    expect(loaded.code).toBe(0);
    expect(Number(loaded.stdout.trim())).toBeGreaterThan(10);
  });

  it('finishes the download in flight on SIGTERM and exits 0', async () => {
    const module = corpus[7]!;
    const zipPath = `/${escapeCase(module.path)}/@v/${module.version}.zip`;
    let release!: () => void;
    upstream.fail((path) => path === zipPath, { until: new Promise<void>((resolve) => (release = resolve)) });
    const download = goModDownloadJson([`${module.path}@${module.version}`], { env: home.env });
    // The proxy is fetching the zip: the request is in flight when SIGTERM comes.
    while (upstream.count(zipPath) === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    const stopped = container.stop();
    await container.waitForOutput(/shutting down: finishing in-flight requests/);
    release();
    const [result] = await download;
    expect(result?.Error ?? 'ok').toBe('ok');
    expect(await stopped).toBe(0);
  });
});
