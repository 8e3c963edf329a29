// The vulnerability database travels in offline bundles: `gomodproxy export` carries the newest
// snapshot, `gomodproxy import` checks it and keeps it when it is newer than what the store holds,
// and a proxy on the imported store serves it with no database reachable.
import { createWriteStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import { pino } from 'pino';
import { pack as tarPack } from 'tar-stream';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskStorage } from '../../proxy/storage/index.ts';
import { VulnDatabase } from '../../proxy/vulndb/index.ts';
import { startUpstream, type Upstream } from '../fixtures/upstreamServer.ts';
import { writeVulnDatabase, type TestAdvisory } from '../fixtures/vulnDatabase.ts';
import { runGomodproxy, startTestProxy, tempFolder } from '../e2e/harness.ts';

const older: TestAdvisory[] = [
  { id: 'GO-2024-2001', modified: '2024-06-01T00:00:00Z', aliases: ['CVE-2024-2001'], affected: [{ module: 'github.com/acme/a', events: [{ introduced: '0' }, { fixed: '1.4.0' }] }] },
];
const newer: TestAdvisory[] = [
  ...older,
  { id: 'GO-2024-2002', modified: '2024-07-01T00:00:00Z', affected: [{ module: 'github.com/acme/b', events: [{ introduced: '0' }, { fixed: '0.2.0' }] }] },
];

describe('the vulnerability database in offline bundles', () => {
  let work: { path: string; dispose(): Promise<void> };
  let database: Upstream;
  let newerFiles: Map<string, Buffer>;

  /** A store whose mirror refreshed once from the test database holding `advisories`. */
  async function mirroredStore(name: string, advisories: TestAdvisory[]): Promise<string> {
    const files = await writeVulnDatabase(join(work.path, 'db'), advisories);
    if (advisories === newer) newerFiles = files;
    const store = join(work.path, name);
    const storage = new DiskStorage(store);
    await storage.open();
    const mirror = new VulnDatabase({ url: database.url, refreshMs: 3_600_000, storage, logger: pino({ level: 'silent' }), timeoutMs: 5000 });
    expect((await mirror.refresh()).outcome).toBe('updated');
    await mirror.close();
    return store;
  }

  const exportStore = async (store: string, out: string) => {
    const run = await runGomodproxy(['export', '--storage-path', store, '--all', '--out', out, '--json']);
    expect(run.code, run.stderr).toBe(0);
    return JSON.parse(run.stdout) as { vulnDatabase: { modified: string; entries: number } | null };
  };
  const importBundle = (store: string, file: string) => runGomodproxy(['import', '--storage-path', store, '--upstream', 'off', file]);

  beforeAll(async () => {
    work = await tempFolder('gomodproxy-vulndb-bundle-');
    database = await startUpstream(join(work.path, 'db'));
  });
  afterAll(async () => {
    await database?.close();
    await work?.dispose();
  });

  it('carries the snapshot, which becomes the importing store\'s and is served there offline; an older one never replaces a newer one', async () => {
    const oldStore = await mirroredStore('old-source', older);
    const newStore = await mirroredStore('new-source', newer);
    const oldBundle = join(work.path, 'old.tar');
    const newBundle = join(work.path, 'new.tar');
    expect((await exportStore(oldStore, oldBundle)).vulnDatabase).toEqual({ modified: '2024-06-01T00:00:00Z', entries: 1 });
    expect((await exportStore(newStore, newBundle)).vulnDatabase).toEqual({ modified: '2024-07-01T00:00:00Z', entries: 2 });

    const site = join(work.path, 'air-gapped');
    const first = await importBundle(site, newBundle);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toContain('vulnerability database: the snapshot of 2024-07-01T00:00:00Z (2 advisories) is now the newest held');
    const again = await importBundle(site, newBundle);
    expect(again.stdout).toContain('vulnerability database: the snapshot of 2024-07-01T00:00:00Z was held already');
    const stale = await importBundle(site, oldBundle);
    expect(stale.code).toBe(0);
    expect(stale.stdout).toContain("vulnerability database: the bundle's snapshot of 2024-06-01T00:00:00Z is older than the one held (gomodproxy/vulndb/snapshot-20240701000000000.json.gz), which stays");
    expect(await readdir(join(site, 'gomodproxy', 'vulndb'))).toEqual(['snapshot-20240701000000000.json.gz']);

    // The air-gapped proxy: its database URL answers nothing, its snapshot came in the bundle.
    const proxy = await startTestProxy({ upstream: 'off', storagePath: site, vulndb: { url: 'http://127.0.0.1:9' } });
    try {
      await proxy.vulnDatabase!.refresh();
      for (const [path, bytes] of newerFiles) {
        const answer = await request(`${proxy.url}/vulndb/${path}.gz`);
        expect(answer.statusCode, path).toBe(200);
        expect(gunzipSync(Buffer.from(await answer.body.arrayBuffer())).equals(bytes), path).toBe(true);
      }
    } finally {
      await proxy.dispose();
    }
    // Eight runs of the installed command, each a node process start.
  }, 300_000);

  it('refuses a carried snapshot that does not check, and stores nothing of it', async () => {
    const files = await writeVulnDatabase(join(work.path, 'db'), newer);
    // A snapshot whose modules.json lists an entry it does not carry.
    const damaged = {
      format: 'gomodproxy-vulndb/1',
      source: 'http://127.0.0.1:9',
      refreshedAt: '2024-07-02T00:00:00Z',
      db: files.get('index/db.json')!.toString(),
      modules: files.get('index/modules.json')!.toString(),
      entries: { 'GO-2024-2001': files.get('ID/GO-2024-2001.json')!.toString() },
    };
    const bundle = join(work.path, 'damaged.tar');
    const tar = tarPack();
    const written = pipeline(tar, createWriteStream(bundle));
    tar.entry({ name: 'gomodproxy-bundle.json' }, JSON.stringify({ format: 2, checksumDatabase: null, vulnDatabase: { modified: '2024-07-01T00:00:00Z', entries: 2 } }));
    tar.entry({ name: 'gomodproxy-bundle.sum' }, '');
    tar.entry({ name: 'gomodproxy/vulndb/snapshot-20240701000000000.json.gz' }, gzipSync(JSON.stringify(damaged)));
    tar.finalize();
    await written;

    const site = join(work.path, 'refusing');
    const run = await importBundle(site, bundle);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      'refused gomodproxy/vulndb/snapshot-20240701000000000.json.gz: the vulnerability database it carries is not used: ID/GO-2024-2002.json: listed in index/modules.json but missing',
    );
    expect(await readdir(join(site, 'gomodproxy', 'vulndb')).catch(() => [])).toEqual([]);
  });
});
