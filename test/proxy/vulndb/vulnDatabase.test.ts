// The mirror against a test database on 127.0.0.1: it fetches only what changed, never lets a bad
// copy replace the good snapshot, serves the last good one stale while the source is down, and
// shares its snapshot through storage.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DiskStorage } from '../../../proxy/storage/index.ts';
import { storedSnapshotKeys, VulnDatabase } from '../../../proxy/vulndb/index.ts';
import { startUpstream, type Upstream } from '../../fixtures/upstreamServer.ts';
import { writeVulnDatabase, type TestAdvisory } from '../../fixtures/vulnDatabase.ts';

const first: TestAdvisory[] = [
  {
    id: 'GO-2024-0001',
    modified: '2024-03-01T10:00:00Z',
    aliases: ['CVE-2024-1111'],
    affected: [{ module: 'github.com/acme/parser', events: [{ introduced: '0' }, { fixed: '1.2.0' }], imports: [{ path: 'github.com/acme/parser', symbols: ['Parse'] }] }],
  },
  {
    id: 'GO-2024-0002',
    modified: '2024-03-02T10:00:00Z',
    affected: [
      { module: 'github.com/acme/parser', events: [{ introduced: '2.0.0' }, { fixed: '2.0.3' }] },
      { module: 'github.com/acme/codec', events: [{ introduced: '0' }] },
    ],
  },
];

const second: TestAdvisory[] = [
  first[0]!,
  { ...first[1]!, modified: '2024-04-01T09:00:00Z', summary: 'now with a fix', affected: [{ module: 'github.com/acme/codec', events: [{ introduced: '0' }, { fixed: '0.4.0' }] }] },
  { id: 'GO-2024-0003', modified: '2024-04-01T10:00:00Z', affected: [{ module: 'github.com/acme/net', events: [{ introduced: '0' }, { fixed: '0.9.1' }] }] },
];

const silent = pino({ level: 'silent' });

describe('the vulnerability database mirror', () => {
  let work: string;
  let dbDir: string;
  let source: Upstream;
  let storage: DiskStorage;
  let mirror: VulnDatabase;
  const entryRequests = () => source.requests.filter((r) => r.path.startsWith('/ID/')).map((r) => r.path).sort();

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'gomodproxy-vulndb-'));
    dbDir = join(work, 'db');
    source = await startUpstream(dbDir);
  });
  afterAll(async () => {
    await source.close();
    await rm(work, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await rm(join(work, 'store'), { recursive: true, force: true });
    storage = new DiskStorage(join(work, 'store'));
    await storage.open();
    source.clearFailures();
    source.requests.length = 0;
    await writeVulnDatabase(dbDir, first);
    mirror = new VulnDatabase({ url: source.url, refreshMs: 3_600_000, storage, logger: silent, timeoutMs: 5000 });
    return async () => mirror.close();
  });

  it('fetches the whole database once, then only when db.json changed, then only the new and changed entries', async () => {
    const seen: string[] = [];
    mirror.onSnapshot((snapshot) => seen.push(snapshot.modified));
    expect(mirror.current()).toBeUndefined();

    expect(await mirror.refresh()).toEqual({ outcome: 'updated', modified: '2024-03-02T10:00:00Z', fetchedEntries: 2, from: 'source' });
    const snapshot = mirror.current()!;
    expect([...snapshot.ids()].sort()).toEqual(['GO-2024-0001', 'GO-2024-0002']);
    expect(snapshot.entriesForModule('github.com/acme/parser').map((e) => e.id)).toEqual(['GO-2024-0001', 'GO-2024-0002']);
    expect(snapshot.entriesForModule('github.com/acme/codec').map((e) => e.id)).toEqual(['GO-2024-0002']);
    expect(snapshot.entriesForModule('github.com/acme/other')).toEqual([]);
    expect(snapshot.entry('GO-2024-0001')?.aliases).toEqual(['CVE-2024-1111']);
    expect(snapshot.stale).toBe(false);
    // Every file in its gzip form, as govulncheck fetches them.
    expect(source.requests.map((r) => r.path).sort()).toEqual(['/ID/GO-2024-0001.json.gz', '/ID/GO-2024-0002.json.gz', '/index/db.json.gz', '/index/modules.json.gz']);

    source.requests.length = 0;
    expect(await mirror.refresh()).toEqual({ outcome: 'unchanged', modified: '2024-03-02T10:00:00Z' });
    expect(source.requests.map((r) => r.path)).toEqual(['/index/db.json.gz']);
    expect(mirror.current()).toBe(snapshot);

    source.requests.length = 0;
    await writeVulnDatabase(dbDir, second);
    expect(await mirror.refresh()).toEqual({ outcome: 'updated', modified: '2024-04-01T10:00:00Z', fetchedEntries: 2, from: 'source' });
    expect(entryRequests()).toEqual(['/ID/GO-2024-0002.json.gz', '/ID/GO-2024-0003.json.gz']);
    const next = mirror.current()!;
    expect(next.entriesForModule('github.com/acme/parser').map((e) => e.id)).toEqual(['GO-2024-0001']);
    expect(next.entry('GO-2024-0002')?.summary).toBe('now with a fix');
    // The first snapshot is unchanged for whoever still holds it.
    expect(snapshot.entry('GO-2024-0002')?.summary).toBe('test advisory GO-2024-0002');
    expect(seen).toEqual(['2024-03-02T10:00:00Z', '2024-04-01T10:00:00Z']);
  });

  // Each bad copy of the second database, and the file the refresh must name.
  const badCopies: Array<[string, (path: string, json: Buffer, gzip: Buffer) => { json: Buffer; gzip: Buffer }, RegExp]> = [
    ['a truncated gzip entry', (path, json, gzip) => ({ json, gzip: path === 'ID/GO-2024-0003.json' ? gzip.subarray(0, gzip.length - 12) : gzip }), /^ID\/GO-2024-0003\.json: .*not whole gzip/],
    ['an entry that is not JSON', (path, json, gzip) => (path === 'ID/GO-2024-0002.json' ? gzipBoth(json.subarray(0, json.length / 2)) : { json, gzip }), /^ID\/GO-2024-0002\.json: not JSON/],
    [
      'an entry that is not OSV',
      (path, json, gzip) => (path === 'ID/GO-2024-0003.json' ? gzipBoth(Buffer.from(JSON.stringify({ ...JSON.parse(json.toString()), affected: [{ package: { name: 'x', ecosystem: 'npm' } }] }))) : { json, gzip }),
      /^ID\/GO-2024-0003\.json: not the database's schema: affected\.0\.package\.ecosystem/,
    ],
    [
      'an entry whose modified disagrees with modules.json',
      (path, json, gzip) => (path === 'ID/GO-2024-0003.json' ? gzipBoth(Buffer.from(json.toString().replace('2024-04-01T10:00:00Z', '2024-04-01T08:00:00Z'))) : { json, gzip }),
      /^ID\/GO-2024-0003\.json: modified 2024-04-01T08:00:00Z, but index\/modules\.json says 2024-04-01T10:00:00Z/,
    ],
    [
      'an entry served under another ID',
      (path, json, gzip) => (path === 'ID/GO-2024-0003.json' ? gzipBoth(Buffer.from(json.toString().replace('"GO-2024-0003"', '"GO-2024-0009"'))) : { json, gzip }),
      /^ID\/GO-2024-0003\.json: holds entry GO-2024-0009/,
    ],
    ['a truncated modules.json', (path, json, gzip) => (path === 'index/modules.json' ? gzipBoth(json.subarray(0, 40)) : { json, gzip }), /^index\/modules\.json: not JSON/],
  ];

  it.each(badCopies)('keeps the good snapshot when the source serves %s', async (_name, rewrite, named) => {
    await mirror.refresh();
    const good = mirror.current()!;
    await writeVulnDatabase(dbDir, second, { rewrite });
    const result = await mirror.refresh();
    expect(result.outcome).toBe('failed');
    expect(result.outcome === 'failed' && result.reason).toMatch(named);
    expect(mirror.current()).toBe(good);
    expect(good.modified).toBe('2024-03-02T10:00:00Z');
    expect(good.stale).toBe(true);
    // Nothing of the bad copy reached storage.
    expect(await storedSnapshotKeys(storage)).toEqual(['gomodproxy/vulndb/snapshot-20240302100000000.json.gz']);

    // Once the source is good again, the refresh completes.
    await writeVulnDatabase(dbDir, second);
    expect((await mirror.refresh()).outcome).toBe('updated');
    expect(mirror.current()!.stale).toBe(false);
  });

  it('an entry missing upstream fails the refresh and names it', async () => {
    await mirror.refresh();
    await writeVulnDatabase(dbDir, second);
    source.fail((path) => path === '/ID/GO-2024-0003.json.gz', { status: 404 });
    const result = await mirror.refresh();
    expect(result.outcome === 'failed' && result.reason).toMatch(/^ID\/GO-2024-0003\.json: .*answered 404/);
    expect(mirror.current()!.modified).toBe('2024-03-02T10:00:00Z');
  });

  it('serves the last snapshot, stale, while the source is down', async () => {
    await mirror.refresh();
    source.fail(() => true, { status: 503 }, { times: 1 });
    const result = await mirror.refresh();
    expect(result.outcome === 'failed' && result.reason).toMatch(/^index\/db\.json: .*answered 503/);
    expect(mirror.current()!.stale).toBe(true);
    expect(mirror.staleness()?.reason).toMatch(/answered 503/);
    expect(mirror.current()!.entriesForModule('github.com/acme/codec')).toHaveLength(1);
    expect((await mirror.refresh()).outcome).toBe('unchanged');
    expect(mirror.current()!.stale).toBe(false);
  });

  it('a second mirror on the same storage takes the stored snapshot, and its source decides only what is newer', async () => {
    await mirror.refresh();
    // Its source is a closed port: what it serves comes from storage alone.
    const other = new VulnDatabase({ url: 'http://127.0.0.1:9', refreshMs: 3_600_000, storage, logger: silent, timeoutMs: 2000 });
    try {
      const result = await other.refresh();
      expect(result).toEqual({ outcome: 'updated', modified: '2024-03-02T10:00:00Z', fetchedEntries: 0, from: 'storage' });
      expect(other.current()!.stale).toBe(true);
      expect([...other.current()!.ids()].sort()).toEqual(['GO-2024-0001', 'GO-2024-0002']);

      await writeVulnDatabase(dbDir, second);
      await mirror.refresh();
      await other.refresh();
      expect(other.current()!.modified).toBe('2024-04-01T10:00:00Z');
    } finally {
      await other.close();
    }
  });

  it('close() stops a refresh that waits on the source, and keeps the snapshot it had', async () => {
    await mirror.refresh();
    await writeVulnDatabase(dbDir, second);
    // Hangs for good: only close() can end it (the timeout is longer than the test may run).
    const patient = new VulnDatabase({ url: source.url, refreshMs: 3_600_000, storage, logger: silent, timeoutMs: 3_600_000 });
    source.fail((path) => path.startsWith('/ID/'), 'hang');
    const pending = patient.refresh();
    while (!source.requests.some((r) => r.path.startsWith('/ID/'))) await new Promise((resolve) => setTimeout(resolve, 10));
    await patient.close();
    const result = await pending;
    expect(result.outcome).toBe('failed');
    expect(patient.current()!.modified).toBe('2024-03-02T10:00:00Z');
    expect((await patient.refresh()).outcome).toBe('failed');
  });

  it('two refreshes asked for at once are one', async () => {
    const [a, b] = await Promise.all([mirror.refresh(), mirror.refresh()]);
    expect(a).toBe(b);
    expect(source.count('/index/db.json.gz')).toBe(1);
  });
});

function gzipBoth(json: Buffer): { json: Buffer; gzip: Buffer } {
  return { json, gzip: gzipSync(json) };
}
