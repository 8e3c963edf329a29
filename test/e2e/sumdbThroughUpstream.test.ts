// The checksum database found through the upstream, as the go command finds it: each upstream is
// asked for /sumdb/<name>/supported in order, and the first that says 200 carries every database
// request; only when none does is the database's own host used. The database here is named
// "127.0.0.1:<port>" after a listener that records every connection, so "its own host was never
// contacted" is something the test sees, with no name looked up anywhere.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goModDownloadJson, makeGoHome } from '../fixtures/goCommand.ts';
import { writeModuleTree, type FixtureModule } from '../fixtures/moduleTree.ts';
import { startChecksumDatabase, type ChecksumDatabaseServer } from '../fixtures/sumdbServer.ts';
import { startUpstream, type Upstream } from '../fixtures/upstreamServer.ts';
import { startTestProxy, tempFolder, type TestProxy } from './harness.ts';

const modules: FixtureModule[] = ['v1.0.0', 'v1.1.0'].map((version) => ({
  path: 'github.com/acme/mirrored',
  version,
  files: { 'mirrored.go': `package mirrored\n\nconst Version = "${version}"\n` },
}));
const targets = modules.map((m) => `${m.path}@${m.version}`);

/** Accepts connections, counts them, and closes them: the database's own host. */
let ownHost: Server;
let ownHostConnections = 0;
const held = new Set<Socket>();
let db: ChecksumDatabaseServer;
let tree: { path: string; dispose(): Promise<void> };
/** Serves the modules and proxies the database under /sumdb/<name>/. */
let mirror: Upstream;
/** Serves the modules only: /sumdb/… is 404. */
let plain: Upstream;
const cleanup: Array<() => Promise<void>> = [];

beforeAll(async () => {
  ownHost = createServer((socket) => {
    ownHostConnections++;
    held.add(socket);
    socket.on('error', () => {});
    socket.destroy();
  });
  await new Promise<void>((resolve) => ownHost.listen(0, '127.0.0.1', resolve));
  db = await startChecksumDatabase('127.0.0.1', { name: `127.0.0.1:${(ownHost.address() as AddressInfo).port}` });
  await db.addFixtures(modules);
  tree = await tempFolder('gomodproxy-sumdb-mirror-');
  await writeModuleTree(tree.path, modules);
  mirror = await startUpstream(tree.path, { sumdb: { name: db.name, url: db.url } });
  plain = await startUpstream(tree.path);
});

afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
  await mirror?.close();
  await plain?.close();
  await tree?.dispose();
  await db?.close();
  for (const socket of held) socket.destroy();
  await new Promise((resolve) => ownHost?.close(resolve));
});

/** A proxy whose log lines are kept. */
async function proxyWithLog(upstream: string, sumdb: string): Promise<{ proxy: TestProxy; log: () => string }> {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  const proxy = await startTestProxy({ upstream, sumdb, logger });
  cleanup.push(() => proxy.dispose());
  return { proxy, log: () => lines.join('') };
}

/** The go command, told the database's key only, downloads every target through the proxy and verifies it. */
async function expectVerifiedDownloads(proxy: TestProxy): Promise<void> {
  const home = await makeGoHome({ goproxy: proxy.url, gosumdb: db.vkey });
  try {
    const results = await goModDownloadJson(targets, { env: home.env });
    expect(results.map((r) => r.Error ?? 'ok')).toEqual(targets.map(() => 'ok'));
  } finally {
    await home.dispose();
  }
}

describe('the checksum database through the upstream', () => {
  it('is found at the upstream that serves /sumdb/<name>/, and the go command verifies through it; its own host is never contacted', async () => {
    const before = { connections: ownHostConnections, supported: mirror.count(`/sumdb/${db.name}/supported`), lookups: db.requests.length };
    // The setting names the database by its key only: no URL.
    const { proxy, log } = await proxyWithLog(mirror.url, db.vkey);
    expect(log()).toContain(`through the first upstream that serves /sumdb/${db.name}/`);
    await expectVerifiedDownloads(proxy);
    expect(ownHostConnections).toBe(before.connections);
    // Asked once, then kept; the lookups went through the upstream to the database.
    expect(mirror.count(`/sumdb/${db.name}/supported`) - before.supported).toBe(1);
    expect(mirror.count(`/sumdb/${db.name}/lookup/`)).toBeGreaterThan(0);
    expect(db.requests.length).toBeGreaterThan(before.lookups);
    expect(await proxy.checksumDatabase!.reachedAt()).toBe(`${mirror.url}/sumdb/${db.name}`);
    expect(log()).toContain(`is reached through the upstream at ${mirror.url}/sumdb/${db.name}`);
  });

  it('goes to its own host when no upstream serves it, and the failure names the mirror form', async () => {
    const before = ownHostConnections;
    const { proxy, log } = await proxyWithLog(plain.url, db.vkey);
    const home = await makeGoHome({ goproxy: proxy.url, gosumdb: 'off' });
    try {
      const [result] = await goModDownloadJson([targets[0]!], { env: home.env });
      expect(result!.Error).toMatch(/502 Bad Gateway/);
      // The whole answer, hint included, fits in what the go command shows of it.
      expect(result!.Error).not.toContain('Truncated');
      expect(result!.Error).toContain(`sumdb: "${db.name}+<key> https://<mirror>/sumdb/${db.name}"`);
      expect(result!.Error).toContain(`an upstream that serves /sumdb/${db.name}/`);
    } finally {
      await home.dispose();
    }
    // Proof that the listener would have seen the proxy, had it gone there in the first test.
    expect(ownHostConnections).toBeGreaterThan(before);
    expect(log()).toContain(`is reached at its own host https://${db.name}`);
  });

  it('uses the URL the setting names, without asking any upstream', async () => {
    const before = mirror.count('/sumdb/');
    const { proxy } = await proxyWithLog(mirror.url, db.setting);
    await expectVerifiedDownloads(proxy);
    expect(mirror.count('/sumdb/')).toBe(before);
    expect(await proxy.checksumDatabase!.reachedAt()).toBe(db.url);
  });
});

describe("the walk along the upstream list keeps Go's ',' and '|' rules", () => {
  type Case = { name: string; upstream: (failing: string, mirror: string, plain: string) => string; reached: 'mirror' | 'own host' | RegExp };
  const cases: Case[] = [
    { name: 'a 404 passes to the next entry', upstream: (_f, m, p) => `${p},${m}`, reached: 'mirror' },
    { name: "a 500 stops at ','", upstream: (f, m) => `${f},${m}`, reached: /cannot be reached: upstream .* answered \/sumdb\/.*\/supported with 500/ },
    { name: "a 500 passes at '|'", upstream: (f, m) => `${f}|${m}`, reached: 'mirror' },
    { name: "every entry 404: its own host", upstream: (_f, _m, p) => `${p},${p}`, reached: 'own host' },
    { name: "'direct' ends the list: its own host", upstream: (_f, m, p) => `${p},direct,${m}`, reached: 'own host' },
    { name: "'direct' after a failure passed by '|': its own host", upstream: (f) => `${f}|direct`, reached: 'own host' },
    { name: "'off' after a failure passed by '|': the failure", upstream: (f) => `${f}|off`, reached: /answered \/sumdb\/.*\/supported with 500/ },
  ];

  let failing: Upstream;
  beforeAll(async () => {
    failing = await startUpstream(tree.path, { sumdb: { name: db.name, url: db.url } });
    failing.fail((path) => path.startsWith('/sumdb/'), { status: 500, body: 'mirror broken' });
  });
  afterAll(async () => {
    await failing?.close();
  });

  it.each(cases)('$name', async (c) => {
    const { proxy } = await proxyWithLog(c.upstream(failing.url, mirror.url, plain.url), db.vkey);
    const reached = proxy.checksumDatabase!.reachedAt();
    if (c.reached instanceof RegExp) await expect(reached).rejects.toThrow(c.reached);
    else expect(await reached).toBe(c.reached === 'mirror' ? `${mirror.url}/sumdb/${db.name}` : `https://${db.name}`);
  });
});
