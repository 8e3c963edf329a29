// The checksum database proof an offline bundle carries, checked with no database: the head's
// signature, each record's inclusion proof, and the timeline against the head a store holds —
// extended, older (kept), forked or not shown. A log built here with the tlog functions and a
// signing key made for the test; storage is a real disk store in a temp folder.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiskStorage } from '../../../proxy/storage/index.ts';
import {
  checkCarriedProof,
  formatRecord,
  formatTree,
  generateSignerKey,
  lookupKey,
  newTiles,
  parseVerifierKey,
  readTileData,
  signNote,
  storedHashes,
  tilePath,
  treeHash,
  type CarriedFiles,
  type HashReader,
} from '../../../proxy/sumdb/index.ts';

const key = generateSignerKey('localhost');
const verifier = parseVerifierKey(key.vkey);
const hash = (n: number) => `h1:${Buffer.alloc(32, n).toString('base64')}`;

/** A log of n records, module example.com/m<i> v1.0.0 each (first: a forked history's first record). */
async function buildLog(n: number, first = 'example.com/m0') {
  const records: Buffer[] = [];
  const hashes: Buffer[] = [];
  const read: HashReader = async (indexes) => indexes.map((i) => hashes[i]!);
  for (let i = 0; i < n; i++) {
    const path = i === 0 ? first : `example.com/m${i}`;
    const text = Buffer.from(`${path} v1.0.0 ${hash(i % 200)}\n${path} v1.0.0/go.mod ${hash((i + 1) % 200)}\n`);
    hashes.push(...(await storedHashes(i, text, read)));
    records.push(text);
  }
  const note = Buffer.from(signNote(formatTree({ N: n, hash: await treeHash(n, read) }), key.skey));
  const tiles = new Map<string, Buffer>();
  for (const tile of newTiles(8, 0, n)) tiles.set(tilePath(tile), await readTileData(tile, read));
  const files = (ids: number[], withTiles = true): CarriedFiles => ({
    latest: note,
    lookups: new Map(ids.map((id) => [lookupKey(`example.com/m${id}`, 'v1.0.0'), Buffer.concat([formatRecord(id, records[id]!), note])])),
    tiles: withTiles ? tiles : new Map(),
  });
  return { note, tiles, files };
}

describe('the proof a bundle carries', () => {
  let dir: string;
  let storage: DiskStorage;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gomodproxy-carried-'));
    storage = new DiskStorage(dir);
    await storage.open();
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const check = (files: CarriedFiles) => checkCarriedProof({ name: 'localhost', verifier, storage, files });

  it('proves records in a first tree, and stores the head and the tiles it used', async () => {
    const log = await buildLog(300);
    const proof = await check(log.files([5, 290]));
    expect(await proof.hashes('example.com/m5', 'v1.0.0')).toEqual({ zip: hash(5), mod: hash(6) });
    expect(await proof.hashes('example.com/m290', 'v1.0.0')).toEqual({ zip: hash(90), mod: hash(91) });
    expect(await proof.hashes('example.com/m7', 'v1.0.0')).toBeNull();
    await proof.store();
    expect(await storage.readBytes('sumdb/localhost/latest')).toEqual(log.note);
    expect(await storage.readBytes('sumdb/localhost/tile/8/0/000')).toEqual(log.tiles.get('tile/8/0/000'));
  });

  it('refuses a head signed with another key, and a record the tree does not hold', async () => {
    const log = await buildLog(20);
    const other = generateSignerKey('localhost');
    await expect(check({ ...log.files([]), latest: Buffer.from(signNote('go.sum database tree\n20\n' + 'A'.repeat(43) + '=\n', other.skey)) })).rejects.toThrow(
      /the bundle's checksum database tree head does not verify with the configured key/,
    );
    const files = log.files([3]);
    const lookup = lookupKey('example.com/m3', 'v1.0.0');
    files.lookups.set(lookup, Buffer.from(files.lookups.get(lookup)!.toString('utf8').replace(hash(3), hash(99))));
    await expect((await check(files)).hashes('example.com/m3', 'v1.0.0')).rejects.toThrow(/SECURITY ERROR: .* \(the inclusion proof fails\)/);
  });

  it('accepts a head that extends the held one, and keeps the newer head when an older bundle comes', async () => {
    const older = await buildLog(300);
    const newer = await buildLog(700);
    const first = await check(older.files([1]));
    await first.hashes('example.com/m1', 'v1.0.0');
    await first.store();
    const extended = await check(newer.files([650]));
    expect(extended.held?.N).toBe(300);
    expect(await extended.hashes('example.com/m650', 'v1.0.0')).toEqual({ zip: hash(50), mod: hash(51) });
    await extended.store();
    const again = await check(older.files([1], false));
    expect(await again.hashes('example.com/m1', 'v1.0.0')).not.toBeNull();
    await again.store();
    expect(await storage.readBytes('sumdb/localhost/latest')).toEqual(newer.note);
  });

  it('refuses a fork, and a head it cannot place on the timeline', async () => {
    const first = await check((await buildLog(300)).files([1]));
    await first.hashes('example.com/m1', 'v1.0.0');
    await first.store();
    const forked = await buildLog(300, 'example.com/forked');
    await expect(check(forked.files([1]))).rejects.toThrow(/^SECURITY ERROR: its checksum database tree head is not on one timeline with the one this proxy holds \(a fork\)/);
    const forkedLonger = await buildLog(600, 'example.com/forked');
    await expect(check(forkedLonger.files([1]))).rejects.toThrow(/\(a fork\): the tree of 300 records has hash/);
    const longer = await buildLog(600);
    await expect(check(longer.files([1], false))).rejects.toThrow(
      /cannot show that its checksum database tree \(600 records\) extends the one this proxy holds \(300 records\): the bundle carries no tile\/8\/\d\/\S+; export it with --since/,
    );
  });
});
