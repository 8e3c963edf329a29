// The acceptance step (proxy/acceptVersion.ts) every stored version passes: .info, .mod and .zip
// rules, the checksum database (a real one on 127.0.0.1, signed with a test key), and storing.
import fs from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VersionAcceptance, type Offer } from '../../proxy/acceptVersion.ts';
import { MemoryCache } from '../../proxy/memoryCache.ts';
import { DiskStorage, versionKey, type Storage } from '../../proxy/storage/index.ts';
import { ChecksumDatabase, ModuleChecksums, parseSumdbSetting } from '../../proxy/sumdb/index.ts';
import { makeTempDir, removeTempDir } from '../fixtures/goCommand.ts';
import { goModText, h1GoModHash, h1ZipHash, writeModuleZip, type FixtureModule } from '../fixtures/moduleTree.ts';
import { startChecksumDatabase, type ChecksumDatabaseServer } from '../fixtures/sumdbServer.ts';

const known: FixtureModule = { path: 'github.com/acme/accepted', version: 'v1.0.0', files: { 'accepted.go': 'package accepted\n' } };
const unknown: FixtureModule = { ...known, version: 'v1.9.0' };
const offerOf = (m: FixtureModule): Offer => ({ module: m.path, version: m.version, origin: 'upstream', servedBy: 'http://127.0.0.1:1' });

let folder: string;
let storage: Storage;
let sumdb: ChecksumDatabaseServer;
let zipFile: string;

beforeAll(async () => {
  folder = await makeTempDir('gomodproxy-accept-');
  storage = new DiskStorage(join(folder, 'store'));
  await storage.open();
  sumdb = await startChecksumDatabase();
  await sumdb.addFixtures([known]);
  zipFile = join(folder, 'known.zip');
  await writeModuleZip(known, zipFile);
});

afterAll(async () => {
  await sumdb?.close();
  if (folder) await removeTempDir(folder);
});

function acceptance(whenDatabaseUnreachable?: 'policy' | 'accept-unchecked'): VersionAcceptance {
  const logger = pino({ level: 'silent' });
  const setting = parseSumdbSetting(sumdb.setting);
  if (setting.off) throw new Error('the test database is not off');
  const database = new ChecksumDatabase({
    name: setting.name,
    verifier: setting.verifier,
    url: setting.url,
    storage,
    timeoutMs: 30_000,
    ttlMs: 60_000,
    logger,
    memoryCache: new MemoryCache(1 << 20),
  });
  const checksums = new ModuleChecksums({ database, isExempt: (path) => path.startsWith('corp.example/'), whenUnreachable: 'refuse', logger });
  return new VersionAcceptance({ storage, checksums, whenDatabaseUnreachable });
}

describe('.info', () => {
  const cases: Array<{ name: string; body: string; refusal?: RegExp }> = [
    { name: 'names the version', body: '{"Version":"v1.0.0","Time":"2024-01-01T00:00:00Z"}' },
    { name: 'without a Time', body: '{"Version":"v1.0.0"}' },
    { name: 'another version', body: '{"Version":"v1.0.1"}', refusal: /upstream \.info for github\.com\/acme\/accepted@v1\.0\.0 is for version "v1\.0\.1"/ },
    { name: 'not JSON', body: '<html>', refusal: /is not JSON/ },
    { name: 'no Version', body: '{"Time":"2024-01-01T00:00:00Z"}', refusal: /has no "Version"/ },
    { name: 'an unreadable Time', body: '{"Version":"v1.0.0","Time":"soon"}', refusal: /unreadable "Time" "soon"/ },
  ];
  for (const c of cases) {
    it(c.refusal ? `refuses ${c.name}` : `accepts one ${c.name}`, () => {
      const check = () => acceptance().checkInfo(offerOf(known), Buffer.from(c.body));
      if (c.refusal) expect(check).toThrow(c.refusal);
      else expect(check().Version).toBe('v1.0.0');
    });
  }
});

describe('.mod and .zip against the checksum database', () => {
  it('accepts what the database holds', async () => {
    const step = acceptance();
    expect(await step.checkMod(offerOf(known), Buffer.from(goModText(known)))).toEqual({ hash: h1GoModHash(known), checksum: 'verified' });
    expect(await step.checkZip(offerOf(known), zipFile)).toEqual({ hash: h1ZipHash(known), checksum: 'verified' });
  });

  it('refuses a .mod the database holds another hash for, naming who served it', async () => {
    await expect(acceptance().checkMod(offerOf(known), Buffer.from('module github.com/acme/accepted\n\ngo 1.22\n'))).rejects.toMatchObject({
      code: 'CHECKSUM_MISMATCH',
      message: expect.stringMatching(/SECURITY ERROR: http:\/\/127\.0\.0\.1:1 served github\.com\/acme\/accepted v1\.0\.0\/go\.mod/),
    });
  });

  it('refuses a version the database does not know', async () => {
    const file = join(folder, 'unknown.zip');
    await writeModuleZip(unknown, file);
    await expect(acceptance().checkZip(offerOf(unknown), file)).rejects.toMatchObject({ code: 'NOT_IN_CHECKSUM_DATABASE' });
  });

  it('does not ask about an exempt path', async () => {
    const before = sumdb.requests.length;
    const privateModule = { ...known, path: 'corp.example/team/lib' };
    expect((await acceptance().checkMod(offerOf(privateModule), Buffer.from(goModText(privateModule)))).checksum).toBe('exempt');
    expect(sumdb.requests.length).toBe(before);
  });

  it('when the database fails: refuses by policy, or accepts as unchecked where asked to', async () => {
    const file = join(folder, 'unknown-2.zip');
    await writeModuleZip(unknown, file);
    sumdb.failWith(500);
    try {
      await expect(acceptance().checkZip(offerOf(unknown), file)).rejects.toMatchObject({ code: 'CHECKSUM_DATABASE_FAILED' });
      expect((await acceptance('accept-unchecked').checkZip(offerOf(unknown), file)).checksum).toBe('unchecked');
    } finally {
      sumdb.failWith(0);
    }
  });
});

describe('.zip content', () => {
  it("refuses a zip whose go.mod is not the version's .mod (given, else stored)", async () => {
    const step = acceptance();
    await expect(step.checkZipContent(offerOf(known), zipFile, Buffer.from('module other\n'))).rejects.toThrow(
      /upstream zip for github\.com\/acme\/accepted@v1\.0\.0 refused: its go\.mod differs from the \.mod/,
    );
    const other = { ...known, version: 'v1.0.1' };
    const otherZip = join(folder, 'other.zip');
    await writeModuleZip(other, otherZip);
    await storage.putImmutable(versionKey(other.path, other.version, 'mod'), Buffer.from('module github.com/acme/accepted\n\ngo 1.11\n'));
    await expect(step.checkZipContent(offerOf(other), otherZip)).rejects.toThrow(/its go\.mod differs/);
  });

  it('refuses a zip that breaks the module zip rules, saying which', async () => {
    const wrongPrefix = join(folder, 'wrong.zip');
    await writeModuleZip({ ...known, version: 'v1.0.2' }, wrongPrefix);
    await expect(acceptance().checkZipContent(offerOf(known), wrongPrefix)).rejects.toMatchObject({
      code: 'BAD_UPSTREAM_CONTENT',
      message: expect.stringMatching(/^upstream zip for github\.com\/acme\/accepted@v1\.0\.0 refused: .+/),
    });
  });
});

describe('storing', () => {
  it('keeps a zip with its h1 beside it, and never replaces what is stored', async () => {
    const step = acceptance();
    const stage = async () => {
      const staged = await storage.stagingFile('known.zip');
      await fs.copyFile(zipFile, staged);
      return staged;
    };
    expect(await step.storeZip(known.path, known.version, await stage(), h1ZipHash(known))).toBe(true);
    expect((await storage.readBytes(versionKey(known.path, known.version, 'ziphash')))?.toString()).toBe(h1ZipHash(known));
    expect(await step.storeZip(known.path, known.version, await stage(), h1ZipHash(known))).toBe(false);
    expect(await step.storeSmallFile(known.path, known.version, 'mod', Buffer.from(goModText(known)))).toBe(true);
    expect(await step.storeSmallFile(known.path, known.version, 'mod', Buffer.from('module changed\n'))).toBe(false);
    expect((await storage.readBytes(versionKey(known.path, known.version, 'mod')))?.toString()).toBe(goModText(known));
  });
});
