// The tamper-evident log of a checksum database: hashing, stored hash numbering, proofs, tiles,
// tree heads and records, first as tables (many restated from golang.org/x/mod/sumdb/tlog's own
// tests), then against x/mod itself: a log built by Go must give the same hashes, proofs and tiles.

import { beforeAll, describe, expect, it } from 'vitest';
import {
  checkRecord,
  checkTree,
  EMPTY_TREE_HASH,
  formatRecord,
  formatTree,
  hashFromTile,
  newTiles,
  nodeHash,
  parseHash,
  parseLookup,
  parseRecord,
  parseTilePath,
  parseTree,
  proveRecord,
  proveTree,
  readTileData,
  recordHash,
  splitStoredHashIndex,
  storedHashCount,
  storedHashes,
  storedHashIndex,
  tileForIndex,
  tileHashes,
  tileHashReader,
  tilePath,
  TlogError,
  treeHash,
} from '../../../proxy/sumdb/tlog.ts';
import type { HashReader, Tile, TileReader } from '../../../proxy/sumdb/tlog.ts';
import { buildTlogOracle, oracleRecord, runTlogOracle } from './tlogOracle.ts';
import type { TlogOracleOutput } from './tlogOracle.ts';

const hex = (h: Uint8Array) => Buffer.from(h).toString('hex');
const unhex = (s: string) => Buffer.from(s, 'hex');

/** A HashReader over an array of stored hashes that, like x/mod's test storage, wants ascending indexes. */
function memoryReader(stored: Buffer[]): HashReader {
  return async (indexes) => {
    indexes.forEach((x, i) => {
      if (i > 0 && (indexes[i - 1] ?? -1) >= x) throw new Error(`indexes out of order: ${indexes.join(',')}`);
    });
    return indexes.map((x) => {
      const h = stored[x];
      if (h === undefined) throw new Error(`no stored hash ${x}`);
      return h;
    });
  };
}

/** Stores records 0..n−1 with the given data. */
async function buildLog(n: number, data: (i: number) => Buffer): Promise<Buffer[]> {
  const stored: Buffer[] = [];
  for (let i = 0; i < n; i++) stored.push(...(await storedHashes(i, data(i), memoryReader(stored))));
  return stored;
}

/** Each hash with one bit flipped, in turn. */
function* corruptions(proof: Buffer[]): Generator<[string, Buffer[]]> {
  for (let k = 0; k < proof.length; k++) {
    const bad = proof.map((h) => Buffer.from(h));
    const flipped = bad[k] as Buffer;
    flipped.writeUInt8(flipped.readUInt8(0) ^ 1, 0);
    yield [`hash #${k} flipped`, bad];
  }
  if (proof.length > 0) yield ['last hash dropped', proof.slice(0, -1)];
  yield ['hash added', [...proof, Buffer.alloc(32)]];
}

describe('hashing', () => {
  it.each([
    { name: 'record "hello world"', got: () => recordHash(Buffer.from('hello world')), want: 'TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=' },
    { name: 'empty tree (SHA-256 of nothing)', got: () => EMPTY_TREE_HASH, want: '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=' },
    { name: 'empty record', got: () => recordHash(Buffer.alloc(0)), want: 'bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=' },
  ])('$name', ({ got, want }) => {
    expect(got().toString('base64')).toBe(want);
  });

  it('nodeHash is SHA-256 of 0x01, left, right and refuses hashes of the wrong size', () => {
    const l = recordHash(Buffer.from('a'));
    const r = recordHash(Buffer.from('b'));
    expect(hex(nodeHash(l, r))).not.toBe(hex(nodeHash(r, l)));
    expect(() => nodeHash(l, Buffer.alloc(31))).toThrow('right is 31 bytes, want 32');
  });

  it.each([
    { text: 'TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=', ok: true },
    { text: 'TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0', ok: false },
    { text: 'TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBTOOBIG=', ok: false },
    { text: 'Tszz RgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=', ok: false },
    { text: 'AAAA', ok: false },
  ])('parseHash($text)', ({ text, ok }) => {
    if (ok) expect(parseHash(text).toString('base64')).toBe(text);
    else expect(() => parseHash(text)).toThrow(TlogError);
  });
});

describe('stored hash indexes', () => {
  // Records 0..4 store: leaf 0, leaf 1, L1#0, leaf 2, leaf 3, L1#1, L2#0, leaf 4.
  it.each([
    { level: 0, n: 0, index: 0 },
    { level: 0, n: 1, index: 1 },
    { level: 1, n: 0, index: 2 },
    { level: 0, n: 2, index: 3 },
    { level: 0, n: 3, index: 4 },
    { level: 1, n: 1, index: 5 },
    { level: 2, n: 0, index: 6 },
    { level: 0, n: 4, index: 7 },
    { level: 3, n: 0, index: 14 },
    { level: 8, n: 0, index: 510 },
  ])('storedHashIndex($level, $n) = $index', ({ level, n, index }) => {
    expect(storedHashIndex(level, n)).toBe(index);
    expect(splitStoredHashIndex(index)).toEqual({ level, n });
  });

  it('splitStoredHashIndex inverts storedHashIndex for levels 0..9 and n 0..99', () => {
    for (let level = 0; level < 10; level++) {
      for (let n = 0; n < 100; n++) expect(splitStoredHashIndex(storedHashIndex(level, n))).toEqual({ level, n });
    }
  });

  it.each([
    { n: 0, count: 0 },
    { n: 1, count: 1 },
    { n: 2, count: 3 },
    { n: 3, count: 4 },
    { n: 4, count: 7 },
    { n: 5, count: 8 },
    { n: 8, count: 15 },
  ])('storedHashCount($n) = $count', ({ n, count }) => {
    expect(storedHashCount(n)).toBe(count);
  });

  it.each([
    { call: () => storedHashIndex(-1, 0), message: 'level -1 is not a non-negative integer' },
    { call: () => storedHashIndex(0, 1.5), message: 'n 1.5 is not a non-negative integer' },
    { call: () => splitStoredHashIndex(2 ** 53), message: 'index 9007199254740992 is not' },
  ])('refuses $message', ({ call, message }) => {
    expect(call).toThrow(message);
  });
});

describe('tile paths', () => {
  // The first seven from x/mod's tilePaths table; Tile undefined means the path is malformed.
  it.each<{ path: string; tile?: Tile }>([
    { path: 'tile/4/0/001', tile: { H: 4, L: 0, N: 1, W: 16 } },
    { path: 'tile/4/0/001.p/5', tile: { H: 4, L: 0, N: 1, W: 5 } },
    { path: 'tile/3/5/x123/x456/078', tile: { H: 3, L: 5, N: 123456078, W: 8 } },
    { path: 'tile/3/5/x123/x456/078.p/2', tile: { H: 3, L: 5, N: 123456078, W: 2 } },
    { path: 'tile/1/0/x003/x057/500', tile: { H: 1, L: 0, N: 3057500, W: 2 } },
    { path: 'tile/3/5/123/456/078' },
    { path: 'tile/3/-1/123/456/078' },
    { path: 'tile/1/data/x003/x057/500', tile: { H: 1, L: -1, N: 3057500, W: 2 } },
    { path: 'tile/8/0/x001/x234/067', tile: { H: 8, L: 0, N: 1234067, W: 256 } },
    { path: 'tile/8/2/000.p/1', tile: { H: 8, L: 2, N: 0, W: 1 } },
    { path: 'tile/8/data/005.p/17', tile: { H: 8, L: -1, N: 5, W: 17 } },
    { path: 'tile/8/0/000.p/256' },
    { path: 'tile/8/0/000.p/0' },
    { path: 'tile/8/0/1' },
    { path: 'tile/8/0/x000/001' },
    { path: 'tile/8/0/x1/001' },
    { path: 'tile/8/00/001' },
    { path: 'tile/31/0/001' },
    { path: 'tile/0/0/001' },
    { path: 'tile/8/0' },
    { path: 'tiles/8/0/001' },
    { path: 'tile/8/0/001/' },
  ])('$path', ({ path, tile }) => {
    if (tile === undefined) {
      expect(() => parseTilePath(path)).toThrow(`malformed tile path "${path}"`);
      return;
    }
    expect(tilePath(tile)).toBe(path);
    expect(parseTilePath(path)).toEqual(tile);
  });
});

describe('tree heads and records', () => {
  const note = 'go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n';

  it('formatTree and parseTree agree with x/mod', () => {
    const tree = { N: 123456789012, hash: recordHash(Buffer.from('hello world')) };
    expect(formatTree(tree)).toBe(note);
    expect(parseTree(note)).toEqual(tree);
    expect(parseTree(Buffer.from(note))).toEqual(tree);
  });

  it.each([note + 'JOE', note + 'JOE\n', note + 'JOE\n'.repeat(1000), note + '\n— sum.golang.org Az3grg…\n'])(
    'parseTree ignores what follows the third line (%#)',
    (text) => {
      expect(parseTree(text).N).toBe(123456789012);
    },
  );

  it.each([
    'not-' + note,
    'go.sum database tree\n0xabcdef\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n',
    'go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBTOOBIG=\n',
    'go.sum database tree\n0123\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n',
    'go.sum database tree\n-1\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n',
    'go.sum database tree\n123\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=',
    'go.sum database tree\n99999999999999999999\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n',
  ])('parseTree refuses %j', (text) => {
    expect(() => parseTree(text)).toThrow('malformed tree note');
  });

  it('formatRecord writes id, text and a blank line', () => {
    expect(formatRecord(123456789012, Buffer.from('hello, world\n')).toString()).toBe('123456789012\nhello, world\n\n');
  });

  it.each(['', 'hello\nworld', 'hello\n\nworld\n', 'hello\x01world\n'])('formatRecord refuses %j', (text) => {
    expect(() => formatRecord(1, Buffer.from(text))).toThrow('malformed record data');
  });

  it.each([
    { msg: '123456789012\nhello, world\n\njunk on end\x01\xff', id: 123456789012, text: 'hello, world\n', rest: 'junk on end\x01\xff' },
    { msg: '123456789012\nhello, world\n\n', id: 123456789012, text: 'hello, world\n', rest: '' },
  ])('parseRecord($msg)', ({ msg, id, text, rest }) => {
    const got = parseRecord(Buffer.from(msg, 'latin1'));
    expect(got.id).toBe(id);
    expect(got.text.toString('latin1')).toBe(text);
    expect(got.rest.toString('latin1')).toBe(rest);
  });

  it.each([
    'not-123456789012\nhello, world\n\n',
    '123\nhello\x01world\n\n',
    '123\nhello\xffworld\n\n',
    '123\nhello world\n',
    '0x123\nhello world\n\n',
    '0123\nhello world\n\n',
    '123',
  ])('parseRecord refuses %j', (msg) => {
    expect(() => parseRecord(Buffer.from(msg, 'latin1'))).toThrow('malformed record data');
  });

  it('parseLookup splits a /lookup answer into record id, go.sum lines and signed note', () => {
    const data = 'golang.org/x/text v0.3.0 h1:g61tztE5qeGQ89tm6NTjjM9VPIm088od1l6aSorWRWg=\n' +
      'golang.org/x/text v0.3.0/go.mod h1:NqM8EUOU14njkJ3fqMW+pc6Ldnwhi/IjpwHt7yyuwOQ=\n';
    const signed = 'go.sum database tree\n33000000\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n\n— sum.golang.org Az3grsm7MwIsxD0pNJ3Ly4ek...\n';
    const got = parseLookup(Buffer.from(`1234567\n${data}\n${signed}`));
    expect(got.id).toBe(1234567);
    expect(got.data.toString()).toBe(data);
    expect(got.note.toString()).toBe(signed);
    expect(() => parseLookup(Buffer.from(`1\n${data}\n`))).toThrow('no signed tree note');
  });
});

describe('a log of 100 records, checked against itself (x/mod TestTree, tile height 2)', () => {
  const H = 2;
  const data = (i: number) => Buffer.from(`leaf ${i}`);

  it('proofs, tiles and tile-backed reads agree for every tree size', async () => {
    const stored: Buffer[] = [];
    const trees: Buffer[] = [];
    const leaves: Buffer[] = [];
    const tiles = new Map<string, Buffer>();
    for (let i = 0; i < 100; i++) {
      const before = stored.length;
      stored.push(...(await storedHashes(i, data(i), memoryReader(stored))));
      leaves.push(recordHash(data(i)));
      expect(storedHashCount(i + 1)).toBe(stored.length);
      const th = await treeHash(i + 1, memoryReader(stored));
      trees.push(th);

      for (const tile of newTiles(H, i, i + 1)) {
        const tileData = await readTileData(tile, memoryReader(stored));
        // A grown tile extends the tile it was one hash earlier.
        const old = tiles.get(tilePath({ ...tile, W: tile.W - 1 })) ?? Buffer.alloc(0);
        expect(tileData.subarray(0, old.length).equals(old)).toBe(true);
        expect(tileData.length).toBe(old.length + 32);
        tiles.set(tilePath(tile), tileData);
      }
      for (let j = before; j < stored.length; j++) {
        const tile = tileForIndex(H, j);
        const tileData = tiles.get(tilePath(tile));
        expect(tileData, `tile ${tilePath(tile)} for index ${j}`).toBeDefined();
        expect(hex(hashFromTile(tile, tileData as Buffer, j))).toBe(hex(stored[j] as Buffer));
      }

      for (let j = 0; j <= i; j++) {
        const proof = await proveRecord(i + 1, j, memoryReader(stored));
        checkRecord(proof, i + 1, th, j, leaves[j] as Buffer);
        for (const [, bad] of corruptions(proof)) expect(() => checkRecord(bad, i + 1, th, j, leaves[j] as Buffer)).toThrow(TlogError);
      }

      // Reading through tiles is the slow part: every size up to 20, then every tenth.
      if (i >= 20 && (i + 1) % 10 !== 0) continue;
      const saved: string[] = [];
      const tileReader: TileReader = {
        height: H,
        readTiles: async (want) => want.map((t) => tiles.get(tilePath(t)) ?? Buffer.alloc(0)),
        saveTiles: (done) => void saved.push(...done.map(tilePath)),
      };
      const thr = tileHashReader({ N: i + 1, hash: th }, tileReader);
      for (let j = 0; j <= i; j++) {
        const [h] = await thr([storedHashIndex(0, j)]);
        expect(hex(h as Buffer)).toBe(hex(leaves[j] as Buffer));
        checkRecord(await proveRecord(i + 1, j, thr), i + 1, th, j, leaves[j] as Buffer);
        expect(hex(await treeHash(j + 1, thr))).toBe(hex(trees[j] as Buffer));
        const proof = await proveTree(i + 1, j + 1, thr);
        checkTree(proof, i + 1, th, j + 1, trees[j] as Buffer);
        for (const [, bad] of corruptions(proof)) expect(() => checkTree(bad, i + 1, th, j + 1, trees[j] as Buffer)).toThrow(TlogError);
      }
      expect(saved.length).toBeGreaterThan(0);
      await expect(thr([(i + 1) * 2])).rejects.toThrow('is not in the tree');
    }
  });
});

describe('agreement with golang.org/x/mod/sumdb/tlog', () => {
  const records = 1000;
  let small: TlogOracleOutput; // tiles of height 2
  let large: TlogOracleOutput; // tiles of height 8, as sum.golang.org
  let ours: Buffer[];

  beforeAll(async () => {
    const binary = await buildTlogOracle();
    [small, large] = await Promise.all([runTlogOracle(binary, records, 2, records), runTlogOracle(binary, records, 8, records)]);
    ours = await buildLog(records, oracleRecord);
  }, 120_000);

  it('stores the same hashes and counts them the same way', () => {
    expect(ours.map(hex)).toEqual(small.storedHashes);
    for (let n = 0; n <= records; n++) expect(storedHashCount(n)).toBe(small.storedCount[n]);
  });

  it('computes the same tree hash for every size 0..1000, and the same tree notes', async () => {
    const read = memoryReader(ours);
    for (let n = 0; n <= records; n++) expect(hex(await treeHash(n, read)), `size ${n}`).toBe(small.treeHashes[n]);
    for (const note of small.treeNotes) {
      const tree = parseTree(note);
      expect(hex(tree.hash)).toBe(small.treeHashes[tree.N]);
      expect(formatTree(tree)).toBe(note);
    }
  });

  it('proves records as Go does, accepts Go’s proofs and refuses tampered ones', async () => {
    const read = memoryReader(ours);
    expect(small.recordProofs.length).toBeGreaterThan(800);
    for (const { t, n, proof } of small.recordProofs) {
      expect((await proveRecord(t, n, read)).map(hex), `record ${n} in ${t}`).toEqual(proof);
      const th = unhex(small.treeHashes[t] as string);
      const leaf = recordHash(oracleRecord(n));
      const goProof = proof.map(unhex);
      checkRecord(goProof, t, th, n, leaf);
      for (const [what, bad] of corruptions(goProof)) {
        expect(() => checkRecord(bad, t, th, n, leaf), `${what}: record ${n} in ${t}`).toThrow('invalid transparency proof');
      }
      expect(() => checkRecord(goProof, t, th, n, recordHash(oracleRecord(n + 1)))).toThrow('invalid transparency proof');
      if (t > 1) expect(() => checkRecord(goProof, t, th, (n + 1) % t, leaf)).toThrow('invalid transparency proof');
    }
  });

  it('proves trees as Go does, accepts Go’s proofs and refuses tampered ones', async () => {
    const read = memoryReader(ours);
    for (const { t, n, proof } of small.treeProofs) {
      expect((await proveTree(t, n, read)).map(hex), `tree ${n} in ${t}`).toEqual(proof);
      const th = unhex(small.treeHashes[t] as string);
      const old = unhex(small.treeHashes[n] as string);
      const goProof = proof.map(unhex);
      checkTree(goProof, t, th, n, old);
      for (const [what, bad] of corruptions(goProof)) {
        expect(() => checkTree(bad, t, th, n, old), `${what}: tree ${n} in ${t}`).toThrow('invalid transparency proof');
      }
      if (n > 1 && n < t) {
        expect(() => checkTree(goProof, t, th, n, unhex(small.treeHashes[n - 1] as string))).toThrow('invalid transparency proof');
      }
    }
  });

  it.each([
    { name: 'height 2', out: () => small, H: 2 },
    { name: 'height 8', out: () => large, H: 8 },
  ])('publishes the same tiles with the same data ($name)', async ({ out, H }) => {
    const goTiles = out().tiles;
    const tiles = newTiles(H, 0, records);
    expect(tiles.map(tilePath)).toEqual(goTiles.map((t) => t.path));
    for (const [i, tile] of tiles.entries()) {
      const goTile = goTiles[i];
      expect(tile).toEqual({ H: goTile?.H, L: goTile?.L, N: goTile?.N, W: goTile?.W });
      expect(parseTilePath(goTile?.path ?? '')).toEqual(tile);
      const data = await readTileData(tile, memoryReader(ours));
      expect(hex(data)).toBe(goTile?.data);
      expect(tileHashes(tile, data).map(hex)).toEqual(
        Array.from({ length: tile.W }, (_, k) => hex(ours[storedHashIndex(tile.L * H, tile.N * 2 ** H + k)] as Buffer)),
      );
    }
  });

  it.each([
    { name: 'height 2', out: () => small, H: 2 },
    { name: 'height 8', out: () => large, H: 8 },
  ])('reads hashes through Go’s tiles, and refuses a tampered tile ($name)', async ({ out, H }) => {
    const goTiles = new Map(out().tiles.map((t) => [t.path, unhex(t.data)]));
    const tree = { N: records, hash: unhex(small.treeHashes[records] as string) };
    const fetched: string[] = [];
    const reader = (tamper?: string): TileReader => ({
      height: H,
      async readTiles(tiles) {
        return tiles.map((t) => {
          const path = tilePath(t);
          fetched.push(path);
          const data = Buffer.from(goTiles.get(path) ?? Buffer.alloc(0));
          if (path === tamper) data.writeUInt8(data.readUInt8(5) ^ 0x40, 5);
          return data;
        });
      },
    });
    const thr = tileHashReader(tree, reader());
    for (const n of [0, 1, 255, 256, 500, 999]) {
      const [h] = await thr([storedHashIndex(0, n)]);
      expect(hex(h as Buffer)).toBe(hex(recordHash(oracleRecord(n))));
    }
    for (const n of [1, 7, 256, 300, 512, 999, 1000]) expect(hex(await treeHash(n, thr))).toBe(small.treeHashes[n]);
    for (const { t, n, proof } of small.recordProofs.filter((p) => p.t === records)) {
      expect((await proveRecord(t, n, thr)).map(hex)).toEqual(proof);
    }
    for (const { t, n, proof } of small.treeProofs.filter((p) => p.t === records)) {
      expect((await proveTree(t, n, thr)).map(hex)).toEqual(proof);
    }

    // Every tile a read fetches, changed by one bit, makes that read fail.
    const reads: Array<[string, (read: HashReader) => Promise<unknown>]> = [
      ['record 500', (read) => read([storedHashIndex(0, 500)])],
      ['records 0 and 999', (read) => read([storedHashIndex(0, 0), storedHashIndex(0, 999)])],
      ['level-4 hash 3', (read) => read([storedHashIndex(4, 3)])],
      ['tree hash of 700', (read) => treeHash(700, read)],
    ];
    for (const [what, read] of reads) {
      fetched.length = 0;
      await read(tileHashReader(tree, reader()));
      const paths = [...new Set(fetched)];
      expect(paths.length).toBeGreaterThan(0);
      for (const path of paths) {
        await expect(read(tileHashReader(tree, reader(path))), `${what}, tampered ${path}`).rejects.toThrow('downloaded inconsistent tile');
      }
    }
    // A tree head that does not match the tiles is refused.
    const wrong = tileHashReader({ N: records, hash: unhex(small.treeHashes[records - 1] as string) }, reader());
    await expect(wrong([storedHashIndex(0, 3)])).rejects.toThrow('downloaded inconsistent tile');
  });

  it('numbers stored hashes and finds their tiles as Go does, far beyond this log', () => {
    for (const { level, n, index, tile } of large.indexes) {
      expect(storedHashIndex(level, n), `level ${level}, n ${n}`).toBe(index);
      expect(splitStoredHashIndex(index)).toEqual({ level, n });
      const ours = tileForIndex(8, index);
      expect(ours).toEqual({ H: tile.H, L: tile.L, N: tile.N, W: tile.W });
      expect(tilePath(ours)).toBe(tile.path);
    }
  });
});
