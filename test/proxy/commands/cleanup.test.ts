// The rule of cleanup (proxy/commands/cleanup.ts) against every store, disk and S3 (a real MinIO
// on 127.0.0.1), asked of each version only what decides it: a version downloaded within
// keepSince is kept by that download whatever its files' times; one downloaded before is removed
// whatever its files' times; one never downloaded is kept when any of its files was stored within
// keepSince (its newest decides, not its first), and removed otherwise. Every removed version is
// reported with the exact bytes of its files and the time of its newest file, in a dry run and in
// a removal alike.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, type CleanupPolicy } from '../../../proxy/commands/cleanup.ts';
import { DiskStorage, type ListedKey, type Storage, versionId, versionKey, writeDownloadTimes } from '../../../proxy/storage/index.ts';
import { S3Storage } from '../../../proxy/storage/s3.ts';
import { makeTempDir, removeTempDir } from '../../fixtures/goCommand.ts';
import { startS3Server, type S3Server } from '../../fixtures/s3Server.ts';

const DAY = 86_400_000;
const module = 'example.com/retained';

let s3: S3Server;
let bucket: string;
let prefixes = 0;

beforeAll(async () => {
  s3 = await startS3Server();
  bucket = await s3.createBucket();
});

afterAll(async () => {
  await s3?.close();
});

const stores: Array<{ name: string; create(): Promise<{ storage: Storage; dispose(): Promise<void> }> }> = [
  {
    name: 'disk',
    async create() {
      const root = await makeTempDir('gomodproxy-cleanup-');
      const storage = new DiskStorage(root);
      await storage.open();
      return { storage, dispose: () => removeTempDir(root) };
    },
  },
  {
    name: 's3',
    async create() {
      const stagingPath = await makeTempDir('gomodproxy-staging-');
      const storage = new S3Storage({
        bucket,
        prefix: `cleanup-${++prefixes}/`,
        endpoint: s3.endpoint,
        region: s3.region,
        forcePathStyle: true,
        credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
        stagingPath,
      });
      await storage.open();
      return {
        storage,
        async dispose() {
          await storage.close();
          await removeTempDir(stagingPath);
        },
      };
    },
  },
];

/** Files of a version, each of its own size, so that a byte count that misses or doubles one shows. */
function versionFiles(version: string, kinds: Array<'info' | 'mod' | 'zip' | 'ziphash'>): Array<[string, Buffer]> {
  return kinds.map((kind, i) => [versionKey(module, version, kind), Buffer.alloc(100 * (i + 1) + version.length, kind)]);
}

/** Each key with what a listing of the whole store says of it. */
async function listed(storage: Storage): Promise<Map<string, NonNullable<ListedKey['stored']>>> {
  const found = new Map<string, NonNullable<ListedKey['stored']>>();
  for await (const batch of storage.listUnder('', { stored: true })) for (const { key, stored } of batch) found.set(key, stored!);
  return found;
}

describe.each(stores)('cleanup on $name storage', (store) => {
  // Written in two rounds a moment apart: the early files, then the late ones (a .ziphash that
  // came after its .zip, and the files of a version stored later). keepSince is then chosen
  // between the two rounds, and `now` a day after the late round, from the times the store gives.
  const early = [
    ...versionFiles('v1.0.0', ['info', 'mod', 'zip', 'ziphash']), // never downloaded, all early: removed
    ...versionFiles('v1.1.0', ['info', 'mod', 'zip']), // never downloaded, its .ziphash late: kept
    ...versionFiles('v1.2.0', ['info', 'mod', 'zip', 'ziphash']), // downloaded within keepSince: kept
    ...versionFiles('v1.4.0', ['mod']), // a .mod alone, never downloaded: removed with its one file's bytes
    ...versionFiles('v1.5.0-pre', ['info', 'mod', 'zip', 'ziphash']), // downloaded just before keepSince: removed
  ];
  const late = [
    ...versionFiles('v1.1.0', ['ziphash']),
    ...versionFiles('v1.3.0', ['info', 'mod', 'zip', 'ziphash']), // stored late, but downloaded long ago: removed
  ];
  let storage: Storage;
  let dispose: () => Promise<void>;
  let policy: CleanupPolicy;
  let now: number;
  let newestEarly: number;
  let times: Map<string, NonNullable<ListedKey['stored']>>;

  beforeAll(async () => {
    ({ storage, dispose } = await store.create());
    for (const [key, body] of early) await storage.putImmutable(key, body);
    // S3 lists times to the millisecond (a HEAD to the second): a second apart, the rounds never share one.
    await sleep(1100);
    for (const [key, body] of late) await storage.putImmutable(key, body);
    times = await listed(storage);
    newestEarly = Math.max(...early.map(([key]) => times.get(key)!.modifiedMs));
    const oldestLate = Math.min(...late.map(([key]) => times.get(key)!.modifiedMs));
    expect(oldestLate).toBeGreaterThan(newestEarly);
    now = Math.max(...late.map(([key]) => times.get(key)!.modifiedMs)) + DAY;
    // Kept: stored (or downloaded) at oldestLate or after; removed: at newestEarly or before.
    const keepSinceMs = now - oldestLate + 1;
    policy = { keepSinceMs, keepLatest: 0, pins: [], modules: [], dryRun: true };
    await writeDownloadTimes(
      storage,
      new Map([
        [versionId(module, 'v1.2.0'), now - keepSinceMs + 1],
        [versionId(module, 'v1.3.0'), newestEarly - 30 * DAY],
        [versionId(module, 'v1.5.0-pre'), now - keepSinceMs],
      ]),
      newestEarly,
    );
  });
  afterAll(() => dispose?.());

  const bytesOf = (version: string) => [...early, ...late].filter(([key]) => key.includes(`/@v/${version}.`)).reduce((sum, [, body]) => sum + body.length, 0);
  const storedOf = (version: string) =>
    new Date(Math.max(...[...times].filter(([key]) => key.includes(`/@v/${version}.`)).map(([, stored]) => stored.modifiedMs))).toISOString();

  const expected = () => [
    { module, version: 'v1.0.0', bytes: bytesOf('v1.0.0'), lastDownload: null, stored: storedOf('v1.0.0') },
    { module, version: 'v1.3.0', bytes: bytesOf('v1.3.0'), lastDownload: new Date(newestEarly - 30 * DAY).toISOString(), stored: storedOf('v1.3.0') },
    { module, version: 'v1.4.0', bytes: bytesOf('v1.4.0'), lastDownload: null, stored: storedOf('v1.4.0') },
    { module, version: 'v1.5.0-pre', bytes: bytesOf('v1.5.0-pre'), lastDownload: new Date(now - policy.keepSinceMs).toISOString(), stored: storedOf('v1.5.0-pre') },
  ];

  it('a dry run names the versions the rule removes, each with the bytes of its files and the time of its newest', async () => {
    const summary = await cleanup(storage, policy, { now });
    expect(summary.removed).toEqual(expected());
    expect(summary.freedBytes).toBe(expected().reduce((sum, r) => sum + r.bytes, 0));
    expect({ modules: summary.modules, versions: summary.versions, kept: summary.kept }).toEqual({ modules: 1, versions: 6, kept: 2 });
    // The version downloaded within keepSince and the one kept by its late .ziphash are not touched.
    expect(await storage.stat(versionKey(module, 'v1.1.0', 'ziphash'))).not.toBeNull();
    expect(await storage.stat(versionKey(module, 'v1.0.0', 'zip'))).not.toBeNull();
  });

  it('the newest releases are kept whatever their times, and a removal reports what the dry run named', async () => {
    const latest = await cleanup(storage, { ...policy, keepLatest: 1 }, { now });
    // v1.4.0 is the newest release (v1.5.0-pre is a pre-release): kept.
    expect(latest.removed.map((r) => r.version)).toEqual(['v1.0.0', 'v1.3.0', 'v1.5.0-pre']);

    const removal = await cleanup(storage, { ...policy, dryRun: false }, { now });
    expect(removal.removed).toEqual(expected());
    expect(removal.freedBytes).toBe(expected().reduce((sum, r) => sum + r.bytes, 0));
    const left = [...(await listed(storage)).keys()].filter((key) => key.startsWith(`${module}/@v/`) && !key.endsWith('/list')).sort();
    expect(left).toEqual([...early, ...late].map(([key]) => key).filter((key) => key.includes('/v1.1.0.') || key.includes('/v1.2.0.')).sort());
    expect((await storage.readBytes(`${module}/@v/list`))?.toString()).toBe('v1.1.0\nv1.2.0\n');
  });
});
