// The storage contract (proxy/storage/storage.ts), the same cases against every store: disk (a
// throw-away folder) and S3 (a real MinIO that test/fixtures/s3Server.ts starts on 127.0.0.1, one
// prefix per case in one bucket). A writer killed half-way runs as a process of its own.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskStorage, type ListedKey, type Storage } from '../../../proxy/storage/index.ts';
import { S3Storage, type S3StorageOptions } from '../../../proxy/storage/s3.ts';
import { freePort } from '../../fixtures/freePort.ts';
import { makeTempDir, removeTempDir } from '../../fixtures/goCommand.ts';
import { startS3Server, type S3Server } from '../../fixtures/s3Server.ts';
import { startFaultyRelay } from '../../fixtures/faultyRelay.ts';

const MiB = 1 << 20;
/** S3's smallest part: files above it are uploaded in parts, so the tests see multipart uploads. */
const PART_SIZE = 5 * MiB;

let s3: S3Server;
let bucket: string;

beforeAll(async () => {
  s3 = await startS3Server();
  bucket = await s3.createBucket();
});

afterAll(async () => {
  await s3?.close();
});

type StoreCase = {
  storage: Storage;
  /** What the killed writer process needs to open the same store. */
  order: { store: 'disk' | 's3'; options: string | S3StorageOptions };
  dispose(): Promise<void>;
};

type StoreUnderTest = {
  name: string;
  /** Whether opened objects offer readAt (a local file does; S3 would need a request per chunk). */
  randomAccess: boolean;
  create(): Promise<StoreCase>;
  /** Starts a writer process of `key` and kills it in the middle of the write that is not atomic. */
  killWriterHalfWay(store: StoreCase, key: string): Promise<void>;
  /** Stores that cannot be opened, and what open() must say. */
  badOpens(): Promise<Array<{ why: string; storage: Storage; message: RegExp }>>;
};

let prefixes = 0;

function s3Options(overrides: Partial<S3StorageOptions> & { stagingPath: string }): S3StorageOptions {
  return {
    bucket,
    prefix: `case-${++prefixes}/`,
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    partSize: PART_SIZE,
    ...overrides,
  };
}

const stores: StoreUnderTest[] = [
  {
    name: 'disk',
    randomAccess: true,
    async create() {
      const root = await makeTempDir('gomodproxy-store-');
      const storage = new DiskStorage(root);
      await storage.open();
      return { storage, order: { store: 'disk', options: root }, dispose: () => removeTempDir(root) };
    },
    // The disk store's only write that is not atomic is the staged file: linking it is.
    async killWriterHalfWay(store, key) {
      const writer = startWriter({ ...store.order, key, size: 24 * MiB, stopWhileStaging: true });
      await writer.printed('half-written');
      await writer.kill();
    },
    async badOpens() {
      const folder = await makeTempDir('gomodproxy-store-');
      await fs.writeFile(join(folder, 'a-file'), 'x');
      return [{ why: 'a folder that cannot be made', storage: new DiskStorage(join(folder, 'a-file', 'store')), message: /^storage folder .*a-file\/store cannot be used: ENOTDIR; create it or make it writable$/ }];
    },
  },
  {
    name: 's3',
    randomAccess: false,
    async create() {
      const staging = await makeTempDir('gomodproxy-staging-');
      const options = s3Options({ stagingPath: staging });
      const storage = new S3Storage(options);
      await storage.open();
      return {
        storage,
        order: { store: 's3', options },
        async dispose() {
          await storage.close();
          await removeTempDir(staging);
        },
      };
    },
    // An S3 write is atomic at its end (PUT or CompleteMultipartUpload): stop the writer in the
    // middle of its parts, through a relay that stops forwarding after 8 MiB.
    async killWriterHalfWay(store, key) {
      const relay = await startFaultyRelay(s3Address(), { holdAfterClientBytes: 8 * MiB });
      try {
        const options = { ...(store.order.options as S3StorageOptions), endpoint: relay.url };
        const writer = startWriter({ store: 's3', options, key, size: 24 * MiB, stopWhileStaging: false });
        await writer.printed('uploading');
        await Promise.race([relay.held, writer.exited.then(() => Promise.reject(new Error(`the writer finished before it was stopped:\n${writer.output()}`)))]);
        await writer.kill();
        // It was caught in the middle: its multipart upload was started and never completed.
        // (MinIO lists uploads by the whole key only.)
        const uploads = await s3.client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: `${options.prefix}${key}` }));
        expect(uploads.Uploads?.map((upload) => upload.Key)).toEqual([`${options.prefix}${key}`]);
      } finally {
        await relay.close();
      }
    },
    async badOpens() {
      const stagingPath = await makeTempDir('gomodproxy-staging-');
      const closedPort = await freePort();
      return [
        { why: 'a missing bucket', storage: new S3Storage(s3Options({ stagingPath, bucket: 'no-such-bucket' })), message: /^S3 bucket "no-such-bucket" does not exist at http:\/\/127\.0\.0\.1:\d+; create it, or fix storage\.bucket/ },
        {
          why: 'a wrong secret key',
          storage: new S3Storage(s3Options({ stagingPath, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: 'wrong-secret-key' } })),
          message: /^S3 at http:\/\/127\.0\.0\.1:\d+ refused the credentials \(SignatureDoesNotMatch\); check storage\.credentials/,
        },
        {
          why: 'an unknown access key',
          storage: new S3Storage(s3Options({ stagingPath, credentials: { accessKeyId: 'nobody', secretAccessKey: s3.secretAccessKey } })),
          message: /^S3 at http:\/\/127\.0\.0\.1:\d+ refused the credentials \(InvalidAccessKeyId\)/,
        },
        {
          why: 'an endpoint where nothing listens',
          storage: new S3Storage(s3Options({ stagingPath, endpoint: `http://127.0.0.1:${closedPort}` })),
          message: /^S3 endpoint http:\/\/127\.0\.0\.1:\d+ cannot be reached \(ECONNREFUSED\); check storage\.endpoint/,
        },
      ];
    },
  },
];

describe.each(stores)('$name storage', (under) => {
  async function withStore(test: (storage: Storage, store: StoreCase) => Promise<void>): Promise<void> {
    const store = await under.create();
    try {
      await test(store.storage, store);
    } finally {
      await store.dispose();
    }
  }

  it('put, then stat, readBytes and read give the same bytes; put replaces', () =>
    withStore(async (storage) => {
      const before = Date.now();
      await storage.put('example.com/m/@v/list', Buffer.from('v1.0.0\n'));
      expect(await storage.readBytes('example.com/m/@v/list')).toEqual(Buffer.from('v1.0.0\n'));
      const stat = await storage.stat('example.com/m/@v/list');
      expect(stat?.size).toBe(7);
      // Second resolution at best on some stores: compare to the second.
      expect(stat!.modified.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 - 1000);
      const object = (await storage.read('example.com/m/@v/list'))!;
      expect(object.size).toBe(7);
      expect(await buffer(object.stream())).toEqual(Buffer.from('v1.0.0\n'));

      await storage.put('example.com/m/@v/list', Buffer.from('v1.0.0\nv1.1.0\n'));
      expect(await storage.readBytes('example.com/m/@v/list')).toEqual(Buffer.from('v1.0.0\nv1.1.0\n'));
      expect((await storage.stat('example.com/m/@v/list'))?.size).toBe(14);
    }));

  it('a missing key: stat, read and readBytes give null, delete succeeds', () =>
    withStore(async (storage) => {
      expect(await storage.stat('example.com/m/@v/v1.0.0.mod')).toBeNull();
      expect(await storage.read('example.com/m/@v/v1.0.0.mod')).toBeNull();
      expect(await storage.readBytes('example.com/m/@v/v1.0.0.mod')).toBeNull();
      await storage.delete('example.com/m/@v/v1.0.0.mod');
    }));

  it('refuses keys outside the module download layout', () =>
    withStore(async (storage) => {
      for (const key of ['../escape', 'example.com/../../x', '/absolute', 'Upper/@v/list', 'example.com/.staging/x', 'a//b', 'example.com:80/m/@v/list', 'sumdb/a:1/b:2']) {
        await expect(storage.put(key, Buffer.from('x')), key).rejects.toThrow(/refusing storage key/);
        await expect(storage.stat(key), key).rejects.toThrow(/refusing storage key/);
      }
      // A checksum database's name may carry a port, as GOSUMDB allows.
      await storage.put('sumdb/127.0.0.1:8080/latest', Buffer.from('x'));
      expect(await storage.readBytes('sumdb/127.0.0.1:8080/latest')).toEqual(Buffer.from('x'));
    }));

  it('streams a byte range of an object', () =>
    withStore(async (storage) => {
      const content = randomBytes(3 * MiB);
      await storage.putImmutable('example.com/m/@v/v1.0.0.zip', content);
      const object = (await storage.read('example.com/m/@v/v1.0.0.zip'))!;
      const start = MiB + 17;
      const end = 2 * MiB + 4;
      expect(await buffer(object.stream({ start, end }))).toEqual(content.subarray(start, end + 1));
    }));

  it(`${under.randomAccess ? 'offers' : 'does not offer'} random access (readAt)`, () =>
    withStore(async (storage) => {
      const content = randomBytes(200_000);
      await storage.putImmutable('example.com/m/@v/v1.0.0.zip', content);
      const object = (await storage.read('example.com/m/@v/v1.0.0.zip'))!;
      try {
        expect(Boolean(object.readAt)).toBe(under.randomAccess);
        if (!object.readAt) return;
        const chunk = new Uint8Array(1000);
        expect(await object.readAt(chunk, 150_000)).toBe(1000);
        expect(Buffer.from(chunk)).toEqual(content.subarray(150_000, 151_000));
        expect(await object.readAt(chunk, 199_500)).toBe(500);
      } finally {
        await object.close();
      }
    }));

  it('an opened object stays readable when its key is deleted', () =>
    withStore(async (storage) => {
      const content = randomBytes(MiB);
      await storage.putImmutable('example.com/m/@v/v1.0.0.zip', content);
      const object = (await storage.read('example.com/m/@v/v1.0.0.zip'))!;
      await storage.delete('example.com/m/@v/v1.0.0.zip');
      expect(await storage.stat('example.com/m/@v/v1.0.0.zip')).toBeNull();
      expect(hash(await buffer(object.stream()))).toBe(hash(content));
    }));

  it('list names the files directly under a prefix', () =>
    withStore(async (storage) => {
      for (const key of ['example.com/m/@v/list', 'example.com/m/@v/v1.0.0.info', 'example.com/m/@v/v1.0.0.mod', 'example.com/m/sub/@v/v1.0.0.mod', 'example.com/mx/@v/v9.0.0.mod']) {
        await storage.put(key, Buffer.from(key));
      }
      expect((await storage.list('example.com/m/@v/')).sort()).toEqual(['list', 'v1.0.0.info', 'v1.0.0.mod']);
      expect(await storage.list('example.com/m/sub/@v/')).toEqual(['v1.0.0.mod']);
      expect(await storage.list('example.com/none/@v/')).toEqual([]);
      await expect(storage.list('example.com/m/@v')).rejects.toThrow(/must end in "\/"/);
    }));

  it('keysUnder gives every key under a prefix, at any depth, and none of the store\'s working files', () =>
    withStore(async (storage) => {
      const keys = ['example.com/m/@v/list', 'example.com/m/@v/v1.0.0.mod', 'example.com/m/sub/@v/v1.0.0.zip', 'example.com/mx/@v/v9.0.0.mod', 'sumdb/localhost/latest'];
      for (const key of keys) await storage.put(key, Buffer.from(key));
      const staged = await storage.stagingFile('left-behind.zip');
      await fs.writeFile(staged, 'not a key');
      const keysUnder = async (prefix: string) => {
        const found: string[] = [];
        for await (const key of storage.keysUnder(prefix)) found.push(key);
        return found.sort();
      };
      const all = await keysUnder('');
      expect(all).toEqual([...keys].sort());
      expect(await keysUnder('example.com/m/')).toEqual(all.filter((k) => k.startsWith('example.com/m/')));
      expect(await keysUnder('example.com/none/')).toEqual([]);
    }));

  it('listUnder gives the keys of keysUnder in batches, with sizes and times that agree with stat where it gives them', () =>
    withStore(async (storage) => {
      // Many folders, so that a walk reading several at once has some to read at once.
      const keys = Array.from({ length: 40 }, (_, i) => `example.com/m${i % 13}/@v/v1.0.${i}.${['info', 'mod', 'zip'][i % 3]}`);
      keys.push('example.com/m0/@v/list', 'sumdb/localhost/latest');
      await inBatches(keys, 16, (key) => storage.put(key, Buffer.from(`${key} `.repeat(1 + (key.length % 5)))));
      const listed: ListedKey[] = [];
      for await (const batch of storage.listUnder('')) {
        expect(batch.length).toBeGreaterThan(0);
        listed.push(...batch);
      }
      expect(listed.map((l) => l.key).sort()).toEqual([...keys].sort());
      for (const { key, stored } of listed) {
        if (!stored) continue;
        const stat = await storage.stat(key);
        expect(stored.size).toBe(stat!.size);
        // A listing's time may be finer than a HEAD's (whole seconds), never a second apart.
        expect(Math.abs(stored.modifiedMs - stat!.modified.getTime())).toBeLessThan(1000);
      }
      // With `stored`, every key comes with them.
      const withStored: ListedKey[] = [];
      for await (const batch of storage.listUnder('', { stored: true })) withStored.push(...batch);
      expect(withStored.map((l) => l.key).sort()).toEqual([...keys].sort());
      for (const { key, stored } of withStored) expect(stored?.size, key).toBe((await storage.stat(key))!.size);
      const inM1: string[] = [];
      for await (const batch of storage.listUnder('example.com/m1/')) inM1.push(...batch.map((l) => l.key));
      expect(inM1.sort()).toEqual(keys.filter((k) => k.startsWith('example.com/m1/')).sort());
      await expect(async () => {
        for await (const _ of storage.listUnder('example.com/m1')) break;
      }).rejects.toThrow(/must end in "\/"/);
    }));

  it('fillStored gives listed keys their sizes and times as stat does, and leaves a key gone since without', () =>
    withStore(async (storage) => {
      const keys = Array.from({ length: 300 }, (_, i) => `example.com/m/@v/v1.0.${i}.mod`);
      await inBatches(keys, 16, (key) => storage.put(key, Buffer.from(`module example.com/m ${'x'.repeat(keys.indexOf(key))}\n`)));
      const gone = keys[7]!;
      const listed: ListedKey[] = [...keys.map((key) => ({ key })), { key: 'example.com/m/@v/v9.9.9.mod' }];
      await storage.delete(gone);
      await storage.fillStored(listed);
      for (const { key, stored } of listed) {
        const stat = await storage.stat(key);
        if (stat === null) {
          expect(stored, key).toBeUndefined();
          continue;
        }
        expect(stored?.size, key).toBe(stat.size);
        expect(Math.abs(stored!.modifiedMs - stat.modified.getTime()), key).toBeLessThan(1000);
      }
      expect(listed.filter((l) => l.stored === undefined).map((l) => l.key)).toEqual([gone, 'example.com/m/@v/v9.9.9.mod']);
    }));

  it('list gives every name of a folder with more than a thousand (S3 answers in pages)', () =>
    withStore(async (storage) => {
      const names = Array.from({ length: 1100 }, (_, i) => `v1.0.${i}.mod`);
      await inBatches(names, 32, (name) => storage.put(`example.com/many/@v/${name}`, Buffer.from(name)));
      expect((await storage.list('example.com/many/@v/')).sort()).toEqual([...names].sort());
    }));

  it('delete removes a key and only that key', () =>
    withStore(async (storage) => {
      await storage.put('example.com/m/@v/v1.0.0.info', Buffer.from('{}'));
      await storage.put('example.com/m/@v/v1.0.0.mod', Buffer.from('module example.com/m\n'));
      await storage.delete('example.com/m/@v/v1.0.0.info');
      expect(await storage.stat('example.com/m/@v/v1.0.0.info')).toBeNull();
      expect(await storage.readBytes('example.com/m/@v/v1.0.0.mod')).toEqual(Buffer.from('module example.com/m\n'));
      expect(await storage.list('example.com/m/@v/')).toEqual(['v1.0.0.mod']);
    }));

  it('putImmutable: the first write wins and later ones change nothing', () =>
    withStore(async (storage) => {
      expect(await storage.putImmutable('example.com/m/@v/v1.0.0.mod', Buffer.from('module example.com/m\n'))).toBe(true);
      expect(await storage.putImmutable('example.com/m/@v/v1.0.0.mod', Buffer.from('module example.com/other\n'))).toBe(false);
      const staged = await stage(storage, randomBytes(7 * MiB));
      expect(await storage.putImmutable('example.com/m/@v/v1.0.0.mod', { file: staged })).toBe(false);
      expect(await storage.readBytes('example.com/m/@v/v1.0.0.mod')).toEqual(Buffer.from('module example.com/m\n'));
      await expect(fs.stat(staged), 'the staged file is consumed').rejects.toThrow(/ENOENT/);
    }));

  it.each([
    { size: 0, what: 'an empty file' },
    { size: 1000, what: 'a small file' },
    { size: 12 * MiB + 3, what: 'a file larger than a part' },
  ])('putImmutable of a staged file stores it whole and consumes it: $what', ({ size }) =>
    withStore(async (storage) => {
      const content = randomBytes(size);
      const staged = await stage(storage, content);
      expect(await storage.putImmutable('example.com/m/@v/v1.0.0.zip', { file: staged })).toBe(true);
      await expect(fs.stat(staged)).rejects.toThrow(/ENOENT/);
      expect((await storage.stat('example.com/m/@v/v1.0.0.zip'))?.size).toBe(size);
      const object = (await storage.read('example.com/m/@v/v1.0.0.zip'))!;
      expect(object.size).toBe(size);
      expect(hash(await buffer(object.stream()))).toBe(hash(content));
    }));

  it.each([
    { what: 'bytes and staged files', sizes: [100, 200, 300, 400, 12 * MiB, 12 * MiB + 1, 6 * MiB, 1000] },
    { what: 'only files larger than a part', sizes: [12 * MiB, 11 * MiB, 10 * MiB, 9 * MiB] },
  ])('concurrent writers of one key ($what): exactly one wins, and its bytes are stored', ({ sizes }) =>
    withStore(async (storage) => {
      const contents = sizes.map((size) => randomBytes(size));
      const staged = await Promise.all(contents.map((content, i) => (i % 2 === 0 && content.length < MiB ? null : stage(storage, content))));
      const outcomes = await Promise.all(
        contents.map((content, i) => storage.putImmutable('example.com/m/@v/v1.0.0.zip', staged[i] ? { file: staged[i] } : content)),
      );
      expect(outcomes.filter(Boolean)).toHaveLength(1);
      const winner = contents[outcomes.indexOf(true)]!;
      const object = (await storage.read('example.com/m/@v/v1.0.0.zip'))!;
      expect(object.size).toBe(winner.length);
      expect(hash(await buffer(object.stream()))).toBe(hash(winner));
      for (const file of staged) if (file) await expect(fs.stat(file)).rejects.toThrow(/ENOENT/);
    }));

  it('a writer killed half-way leaves nothing visible, and the next writer succeeds', () =>
    withStore(async (storage, store) => {
      const key = 'example.com/m/@v/v1.0.0.zip';
      await under.killWriterHalfWay(store, key);
      expect(await storage.stat(key)).toBeNull();
      expect(await storage.read(key)).toBeNull();
      expect(await storage.list('example.com/m/@v/')).toEqual([]);
      const content = randomBytes(11 * MiB);
      expect(await storage.putImmutable(key, { file: await stage(storage, content) })).toBe(true);
      expect(hash((await storage.readBytes(key))!)).toBe(hash(content));
    }));

  it('open() fails at once with one line saying what to fix', async () => {
    for (const { why, storage, message } of await under.badOpens()) {
      const error = await storage.open().then(
        () => null,
        (err: unknown) => err as Error,
      );
      await storage.close?.();
      expect(error, why).toBeInstanceOf(Error);
      expect(error!.message, why).toMatch(message);
      expect(error!.message, why).not.toContain('\n');
    }
  });
});

describe('s3 storage', () => {
  async function throughRelay(relayOptions: Parameters<typeof startFaultyRelay>[1], test: (storage: S3Storage, breaks: () => number, prefix: string) => Promise<void>): Promise<void> {
    const staging = await makeTempDir('gomodproxy-staging-');
    const relay = await startFaultyRelay(s3Address(), relayOptions);
    const options = s3Options({ stagingPath: staging, endpoint: relay.url });
    const storage = new S3Storage(options);
    try {
      await storage.open();
      await test(storage, relay.breaks, options.prefix);
    } finally {
      await storage.close();
      await relay.close();
      await removeTempDir(staging);
    }
  }

  it('a read whose connection breaks goes on where it stopped, with the same bytes', () =>
    throughRelay({ breakAfterServerBytes: MiB }, async (storage, breaks) => {
      const content = randomBytes(4 * MiB);
      await storage.putImmutable('example.com/m/@v/v1.0.0.zip', content);
      const object = (await storage.read('example.com/m/@v/v1.0.0.zip'))!;
      expect(hash(await buffer(object.stream()))).toBe(hash(content));
      expect(breaks()).toBe(1);
    }));

  it('a read whose object was replaced meanwhile fails rather than mix two objects', () =>
    throughRelay({ breakAfterServerBytes: MiB }, async (storage, breaks, prefix) => {
      await storage.put('example.com/m/@v/list.upstream', randomBytes(4 * MiB));
      const object = (await storage.read('example.com/m/@v/list.upstream'))!;
      await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}example.com/m/@v/list.upstream`, Body: randomBytes(4 * MiB) }));
      // The connection breaks before anything is read: that must not end the process either.
      while (breaks() === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      await expect(buffer(object.stream())).rejects.toThrow(/^S3 ranged GET of .*list\.upstream failed: PreconditionFailed \(HTTP 412\)/);
      expect(breaks()).toBe(1);
    }));

  it('keeps the disk layout under its prefix, and stores with other prefixes do not see each other', async () => {
    const staging = await makeTempDir('gomodproxy-staging-');
    const first = new S3Storage(s3Options({ stagingPath: staging, prefix: 'team-a/gomodproxy/' }));
    const second = new S3Storage(s3Options({ stagingPath: staging, prefix: 'team-b/' }));
    try {
      await first.open();
      await second.open();
      await first.putImmutable('example.com/!upper/@v/v1.0.0.mod', Buffer.from('module example.com/Upper\n'));
      const listing = await s3.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'team-' }));
      expect(listing.Contents?.map((object) => object.Key)).toEqual(['team-a/gomodproxy/example.com/!upper/@v/v1.0.0.mod']);
      expect(await second.stat('example.com/!upper/@v/v1.0.0.mod')).toBeNull();
      expect(await second.putImmutable('example.com/!upper/@v/v1.0.0.mod', Buffer.from('module other\n'))).toBe(true);
      expect(await first.readBytes('example.com/!upper/@v/v1.0.0.mod')).toEqual(Buffer.from('module example.com/Upper\n'));
    } finally {
      await first.close();
      await second.close();
      await removeTempDir(staging);
    }
  });
});

function s3Address(): { host: string; port: number } {
  return { host: '127.0.0.1', port: Number(new URL(s3.endpoint).port) };
}

function hash(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

async function stage(storage: Storage, content: Uint8Array): Promise<string> {
  const file = await storage.stagingFile('test.zip');
  await fs.writeFile(file, content);
  return file;
}

async function inBatches<T>(items: T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(work));
}

type Writer = { printed(line: string): Promise<void>; exited: Promise<void>; output(): string; kill(): Promise<void> };

function startWriter(order: { store: 'disk' | 's3'; options: string | S3StorageOptions; key: string; size: number; stopWhileStaging: boolean }): Writer {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'killedWriter.ts'), JSON.stringify(order)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const seen = (stream: Readable) => stream.on('data', (chunk: Buffer) => (output += chunk.toString()));
  seen(child.stdout!);
  seen(child.stderr!);
  return {
    printed: (line) =>
      new Promise<void>((resolve, reject) => {
        const look = () => {
          if (output.includes(`${line}\n`)) resolve();
        };
        child.stdout!.on('data', look);
        look();
        exited.then(() => (output.includes(`${line}\n`) ? resolve() : reject(new Error(`the writer exited before it printed "${line}":\n${output}`))));
      }),
    exited,
    output: () => output,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
