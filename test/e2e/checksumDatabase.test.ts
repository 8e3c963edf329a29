// The checksum database through the proxy. A database started by the test (its own key, Go's
// formats) holds the sums of the fixture modules. The go command, told only GOSUMDB="localhost+<key>"
// and GOPROXY=<proxy>, verifies through the proxy's /sumdb/; the proxy itself verifies every
// fetched .mod and .zip before storing it, and refuses what disagrees with the database, a
// database that signs with another key, forks its log or serves a record its log does not hold.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { goModDownloadJson, makeGoHome } from '../fixtures/goCommand.ts';
import { goModText, moduleFile, writeModuleZip, type FixtureModule } from '../fixtures/moduleTree.ts';
import { startChecksumDatabase, type ChecksumDatabaseServer } from '../fixtures/sumdbServer.ts';
import { spawnProxy, startProxiedTree, tempFolder, type ProxiedTree, type TestProxyOptions } from './harness.ts';

const modules: FixtureModule[] = [
  ...['v1.0.0', 'v1.1.0', 'v1.2.0'].map((version) => ({
    path: 'github.com/acme/verified',
    version,
    files: { 'verified.go': `package verified\n\nconst Version = "${version}"\n`, LICENSE: 'MIT\n' },
  })),
  { path: 'github.com/acme/Upper', version: 'v0.3.0', files: { 'upper.go': 'package upper\n' } },
  { path: 'github.com/acme/zipped', version: 'v1.0.0', files: { 'zipped.go': 'package zipped\n\nconst Answer = 42\n' } },
  { path: 'github.com/acme/modded', version: 'v1.0.0', files: { 'modded.go': 'package modded\n' } },
  { path: 'github.com/acme/lied', version: 'v1.0.0', files: { 'lied.go': 'package lied\n' } },
  { path: 'github.com/acme/later', version: 'v1.0.0', files: { 'later.go': 'package later\n' } },
];
const [verified] = modules;
const zipped = modules.find((m) => m.path.endsWith('/zipped'))!;
const modded = modules.find((m) => m.path.endsWith('/modded'))!;
const lied = modules.find((m) => m.path.endsWith('/lied'))!;
const later = modules.find((m) => m.path.endsWith('/later'))!;
const unknown: FixtureModule = { path: 'github.com/acme/unknown', version: 'v1.0.0', files: { 'unknown.go': 'package unknown\n' } };
const nosum: FixtureModule = { path: 'github.com/acme/internal/nosum', version: 'v1.0.0', files: { 'nosum.go': 'package nosum\n' } };

/** The upstream serves zipped's zip with one byte changed in a file, and modded's go.mod changed. */
async function tamper(tree: string): Promise<void> {
  const changed = { ...zipped, files: { ...zipped.files, 'zipped.go': 'package zipped\n\nconst Answer = 43\n' } };
  await writeModuleZip(changed, moduleFile(tree, zipped, 'zip'));
  await writeFile(moduleFile(tree, modded, 'mod'), `${goModText(modded)}require github.com/acme/evil v1.0.0\n`);
}

function fillerRecords(n: number) {
  const hash = 'h1:' + Buffer.alloc(32, 7).toString('base64');
  return Array.from({ length: n }, (_, i) => ({ path: `example.com/filler/m${i}`, version: 'v1.0.0', zipHash: hash, modHash: hash }));
}

const text = async (url: string) => {
  const response = await request(url);
  return { status: response.statusCode, body: await response.body.text(), headers: response.headers };
};

describe('checksum database', () => {
  let db: ChecksumDatabaseServer;
  let setup: ProxiedTree;

  async function start(options: Omit<TestProxyOptions, 'upstream'> = {}): Promise<ProxiedTree> {
    return startProxiedTree([...modules, unknown, nosum], { sumdb: db.setting, damage: tamper, ...options });
  }

  beforeAll(async () => {
    db = await startChecksumDatabase();
    // 300 records first, so that proofs need tiles of two levels, full and partial.
    await db.add(fillerRecords(300));
    await db.addFixtures(modules);
    // Its records are those of the untampered modules; the test database also knows nosum, so a
    // lookup of it would succeed: only the pattern keeps it from being asked.
    await db.addFixtures([nosum]);
    setup = await start({ nosumdb: ['github.com/acme/internal'] });
  });
  afterAll(async () => {
    await setup?.dispose();
    await db?.close();
  });

  it('lets the go command verify through /sumdb/ with only GOSUMDB=localhost+key set', async () => {
    const targets = modules.filter((m) => ![zipped, modded, lied, later].includes(m)).map((m) => `${m.path}@${m.version}`);
    const home = await makeGoHome({ goproxy: setup.proxy.url, gosumdb: db.vkey });
    try {
      const results = await goModDownloadJson(targets, { env: home.env });
      expect(results.map((r) => r.Error ?? 'ok')).toEqual(targets.map(() => 'ok'));
      // The go command asked the proxy, never the database's own host.
      const supported = await text(`${setup.proxy.url}/sumdb/localhost/supported`);
      expect(supported.status).toBe(200);
      // What the go command keeps as verified is what the database holds.
      const treeNote = await readFile(join(home.env['GOPATH']!, 'pkg', 'sumdb', 'localhost', 'latest'), 'utf8');
      expect(treeNote).toMatch(/^go\.sum database tree\n\d+\n/);
    } finally {
      await home.dispose();
    }
    // One lookup per module version, however many files were verified and clients asked.
    for (const target of targets) {
      const [path, version] = target.split('@') as [string, string];
      const escaped = path.replace(/[A-Z]/g, (c) => `!${c.toLowerCase()}`);
      expect(db.requests.filter((p) => p === `/lookup/${escaped}@${version}`), target).toHaveLength(1);
    }
  });

  it('serves tiles built from verified hashes and records, byte for byte the database’s', async () => {
    for (const tile of ['tile/8/0/000', 'tile/8/0/001.p/8', 'tile/8/1/000.p/1', 'tile/8/data/000', 'tile/8/data/001.p/3']) {
      const proxied = await request(`${setup.proxy.url}/sumdb/localhost/${tile}`);
      const direct = await request(`${db.url}/${tile}`);
      expect(proxied.statusCode, tile).toBe(200);
      expect(Buffer.from(await proxied.body.arrayBuffer()).equals(Buffer.from(await direct.body.arrayBuffer())), tile).toBe(true);
      expect(proxied.headers['cache-control'], tile).toMatch(/immutable/);
    }
    const beyond = await text(`${setup.proxy.url}/sumdb/localhost/tile/8/0/x001/000`);
    expect(beyond.status).toBe(404);
    expect(beyond.body).toMatch(/beyond the latest signed tree/);
    const malformed = await text(`${setup.proxy.url}/sumdb/localhost/tile/8/0/1`);
    expect(malformed.status).toBe(400);
  });

  it('refuses a zip with one byte changed: nothing stored, and the client sees both sums', async () => {
    const home = await makeGoHome({ goproxy: setup.proxy.url, gosumdb: db.vkey });
    try {
      const [result] = await goModDownloadJson([`${zipped.path}@${zipped.version}`], { env: home.env });
      expect(result?.Error).toMatch(/SECURITY ERROR.*served github\.com\/acme\/zipped v1\.0\.0 with h1:.*checksum database localhost says h1:/);
    } finally {
      await home.dispose();
    }
    const stored = await setup.proxy.storage.stat('github.com/acme/zipped/@v/v1.0.0.zip');
    expect(stored).toBeNull();
    expect(await text(`${setup.proxy.url}/metrics`).then((r) => r.body)).toMatch(/gomodproxy_checksum_checks_total\{result="mismatch"\} [1-9]/);
  });

  it('refuses a go.mod that differs from the database’s', async () => {
    const answer = await text(`${setup.proxy.url}/github.com/acme/modded/@v/v1.0.0.mod`);
    expect(answer.status).toBe(502);
    expect(answer.body).toMatch(/SECURITY ERROR.*github\.com\/acme\/modded v1\.0\.0\/go\.mod with h1:.*says h1:/);
    expect(await setup.proxy.storage.stat('github.com/acme/modded/@v/v1.0.0.mod')).toBeNull();
  });

  it('refuses a version the database does not know', async () => {
    const answer = await text(`${setup.proxy.url}/github.com/acme/unknown/@v/v1.0.0.zip`);
    expect(answer.status).toBe(403);
    expect(answer.body).toMatch(/not in checksum database localhost.*private or nosumdb/);
    expect(await setup.proxy.storage.stat('github.com/acme/unknown/@v/v1.0.0.zip')).toBeNull();
  });

  it('never names a nosumdb or private path to the database', async () => {
    const served = await text(`${setup.proxy.url}/github.com/acme/internal/nosum/@v/v1.0.0.zip`);
    expect(served.status).toBe(200);
    const lookup = await text(`${setup.proxy.url}/sumdb/localhost/lookup/github.com/acme/internal/nosum@v1.0.0`);
    expect(lookup.status).toBe(403);
    expect(lookup.body).toMatch(/never looked up.*GONOSUMDB/);
    // The go command with GONOSUMDB (as the proxy's patterns ask) downloads it.
    const home = await makeGoHome({ goproxy: setup.proxy.url, gosumdb: db.vkey, extra: { GONOSUMDB: 'github.com/acme/internal' } });
    try {
      const [result] = await goModDownloadJson([`${nosum.path}@${nosum.version}`], { env: home.env });
      expect(result?.Error).toBeUndefined();
    } finally {
      await home.dispose();
    }

    const privately = await startProxiedTree([nosum], { sumdb: db.setting, private: ['github.com/acme/internal'] });
    try {
      const denied = await text(`${privately.proxy.url}/sumdb/localhost/lookup/github.com/acme/internal/nosum@v1.0.0`);
      expect(denied.status).toBe(403);
    } finally {
      await privately.dispose();
    }
    expect(db.requests.filter((p) => p.includes('internal'))).toEqual([]);
  });

  it('refuses a lookup whose record is not the one in the database’s log', async () => {
    db.lieAbout(lied.path, lied.version, 'h1:1111111111111111111111111111111111111111111=');
    const answer = await text(`${setup.proxy.url}/github.com/acme/lied/@v/v1.0.0.mod`);
    expect(answer.status).toBe(502);
    expect(answer.body).toMatch(/misbehaves: the record it served for github\.com\/acme\/lied@v1\.0\.0 is not record \d+ of its signed tree/);
    expect(await setup.proxy.storage.stat('github.com/acme/lied/@v/v1.0.0.mod')).toBeNull();
  });
});

describe('checksum database misbehaving or down', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function fresh(options: Omit<TestProxyOptions, 'upstream'> = {}): Promise<{ db: ChecksumDatabaseServer; setup: ProxiedTree }> {
    const db = await startChecksumDatabase();
    cleanups.push(() => db.close());
    await db.addFixtures([verified!, later]);
    const setup = await startProxiedTree([verified!, later], { sumdb: db.setting, ...options });
    cleanups.push(() => setup.dispose());
    return { db, setup };
  }

  it('accepts a grown log that contains the tree it verified before', async () => {
    const { db, setup } = await fresh();
    expect((await text(`${setup.proxy.url}/github.com/acme/verified/@v/v1.0.0.mod`)).status).toBe(200);
    const grown: FixtureModule = { path: 'github.com/acme/grown', version: 'v1.0.0', files: { 'grown.go': 'package grown\n' } };
    await db.add(fillerRecords(600));
    await db.addFixtures([grown]);
    const second = await startProxiedTree([grown], { sumdb: db.setting, storagePath: setup.proxy.storagePath });
    cleanups.push(() => second.dispose());
    expect((await text(`${second.proxy.url}/github.com/acme/grown/@v/v1.0.0.zip`)).status).toBe(200);
  });

  it('refuses a tree head signed with another key', async () => {
    const { db, setup } = await fresh();
    db.signWithAnotherKey();
    const answer = await text(`${setup.proxy.url}/github.com/acme/verified/@v/v1.0.0.zip`);
    expect(answer.status).toBe(502);
    expect(answer.body).toMatch(/does not verify with the configured key localhost\+/);
  });

  it('raises the alarm on a forked tree and stops verifying, even after a restart', async () => {
    const { db, setup } = await fresh();
    expect((await text(`${setup.proxy.url}/github.com/acme/verified/@v/v1.0.0.mod`)).status).toBe(200);
    await db.fork();
    const answer = await text(`${setup.proxy.url}/github.com/acme/later/@v/v1.0.0.mod`);
    expect(answer.status).toBe(502);
    expect(answer.body).toMatch(/SECURITY ERROR: checksum database localhost served two tree heads that are not on one timeline \(a fork\)/);
    expect((await text(`${setup.proxy.url}/metrics`)).body).toMatch(/gomodproxy_checksum_database_alarm\{database="localhost"\} 1/);
    // The client's own /latest is refused too.
    expect((await text(`${setup.proxy.url}/sumdb/localhost/latest`)).status).toBe(502);

    // The verified tree head is kept in storage: a restarted proxy sees the fork as well.
    const restarted = await startProxiedTree([later], { sumdb: db.setting, storagePath: setup.proxy.storagePath });
    cleanups.push(() => restarted.dispose());
    const again = await text(`${restarted.proxy.url}/github.com/acme/later/@v/v1.0.0.mod`);
    expect(again.status).toBe(502);
    expect(again.body).toMatch(/a fork/);
  });

  it('keeps serving verified modules, and their lookups and tiles, while the database is down; refuses new ones', async () => {
    const { db, setup } = await fresh();
    const home = await makeGoHome({ goproxy: setup.proxy.url, gosumdb: db.vkey });
    cleanups.push(() => home.dispose());
    const [first] = await goModDownloadJson([`${verified!.path}@${verified!.version}`], { env: home.env });
    expect(first?.Error).toBeUndefined();

    db.failWith(503);
    // A second client with an empty cache verifies through the proxy, from what the proxy kept.
    const second = await makeGoHome({ goproxy: setup.proxy.url, gosumdb: db.vkey });
    cleanups.push(() => second.dispose());
    const [again] = await goModDownloadJson([`${verified!.path}@${verified!.version}`], { env: second.env });
    expect(again?.Error).toBeUndefined();
    expect(again?.Sum).toBe(first?.Sum);

    const refused = await text(`${setup.proxy.url}/github.com/acme/later/@v/v1.0.0.zip`);
    expect(refused.status).toBe(502);
    expect(refused.body).toMatch(/cannot verify github\.com\/acme\/later@v1\.0\.0: checksum database localhost at http:\/\/127\.0\.0\.1:\d+ answered .* with 503.*sumdb\/localhost.*serve-unverified/);
  });

  it('stores new modules unverified while the database is down when the settings say so', async () => {
    const { db, setup } = await fresh({ sumdbUnreachable: 'serve-unverified' });
    db.failWith(503);
    const answer = await text(`${setup.proxy.url}/github.com/acme/later/@v/v1.0.0.zip`);
    expect(answer.status).toBe(200);
    expect((await text(`${setup.proxy.url}/metrics`)).body).toMatch(/gomodproxy_checksum_checks_total\{result="unverified"\} 1/);
  });

  it('says at start which database it verifies against, and when verification is off', async () => {
    const db = await startChecksumDatabase();
    cleanups.push(() => db.close());
    const store = await tempFolder('gomodproxy-sumdb-start-');
    cleanups.push(() => store.dispose());
    for (const [setting, line] of [
      [db.setting, `"sumdb":"localhost at ${db.url}"`],
      ['off', 'checksum verification is off (sumdb: off)'],
    ] as const) {
      const proxy = await spawnProxy({ GOMODPROXY_UPSTREAM: 'off', GOMODPROXY_STORAGE_PATH: store.path, GOMODPROXY_SUMDB: setting });
      await proxy.stop();
      expect(proxy.output()).toContain(line);
    }
  });

  it('answers /supported only for its own database, and is silent with sumdb off', async () => {
    const { setup } = await fresh();
    expect((await text(`${setup.proxy.url}/sumdb/sum.golang.org/supported`)).status).toBe(404);
    const off = await startProxiedTree([later], { sumdb: 'off' });
    cleanups.push(() => off.dispose());
    const answer = await text(`${off.proxy.url}/sumdb/localhost/supported`);
    expect(answer.status).toBe(404);
    expect(answer.body).toMatch(/sumdb setting is off/);
  });
});
