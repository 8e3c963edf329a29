/**
 * The tamper-evident log behind a Go checksum database (sum.golang.org), as in
 * golang.org/x/mod/sumdb/tlog: RFC 6962 Merkle tree hashing, the numbering of the hashes a log
 * stores, inclusion and consistency proofs, tiles, the signed tree head text and lookup records.
 * Pure functions; hashes are read through an async callback so the caller decides where they
 * come from (memory, disk, tiles fetched from the database).
 *
 * Numbers: record numbers, tree sizes and stored hash indexes are JavaScript numbers. A tree of
 * N records stores fewer than 2N hashes, so every value is an exact integer while N < 2^52; a
 * value that is not a safe non-negative integer is refused. Go uses int64; sum.golang.org holds
 * well under 2^32 records. Shifts are written as multiplication and division by powers of two,
 * since JavaScript's bit operators work on 32 bits.
 */

import { createHash } from 'node:crypto';
import { goQuote } from '../protocol/index.ts';

/** A hash is 32 bytes: a SHA-256 sum. */
export const HASH_SIZE = 32;

/** Reads the stored hashes with the given indexes, in the same order. */
export type HashReader = (indexes: number[]) => Promise<Buffer[]>;

/** A check of the log failed, or a text or argument broke one of its rules. */
export class TlogError extends Error {
  override name = 'TlogError';
}

/** The hash of the empty tree: SHA-256 of no bytes. */
export const EMPTY_TREE_HASH: Buffer = createHash('sha256').digest();

/** The hash of a record (a leaf): SHA-256(0x00 || data), RFC 6962 section 2.1. */
export function recordHash(data: Uint8Array): Buffer {
  return createHash('sha256').update(ZERO_PREFIX).update(data).digest();
}

/** The hash of an interior node: SHA-256(0x01 || left || right), RFC 6962 section 2.1. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  checkHash('left', left);
  checkHash('right', right);
  return createHash('sha256').update(ONE_PREFIX).update(left).update(right).digest();
}

const ZERO_PREFIX = Buffer.from([0x00]);
const ONE_PREFIX = Buffer.from([0x01]);

/** A hash in the text of a tree head: standard base64 with padding, exactly 32 bytes. */
export function parseHash(text: string): Buffer {
  const data = decodeBase64Strict(text);
  if (data === null || data.length !== HASH_SIZE) throw new TlogError(`malformed hash ${goQuote(text)}`);
  return data;
}

/** A hash as standard base64 with padding, as Go's Hash.String. */
export function formatHash(hash: Uint8Array): string {
  checkHash('hash', hash);
  return Buffer.from(hash).toString('base64');
}

// Stored hashes.
//
// A log of records 0, 1, 2, … keeps every complete subtree hash: the hash of level L, number n
// covers records n·2^L to (n+1)·2^L − 1. They are stored in the order they become complete:
// after record n come the hashes of the subtrees it completes, lowest level first. So the tree
// of records 0..3 stores, as indexes 0..6: leaf 0, leaf 1, L1#0, leaf 2, leaf 3, L1#1, L2#0.

/** The index of the hash of level `level`, number `n` in the order hashes are stored. */
export function storedHashIndex(level: number, n: number): number {
  checkCount('level', level);
  checkCount('n', n);
  // The node is stored right after the last leaf under it, leaf m = (n+1)·2^level − 1, and the
  // `level` nodes below it that m completes. Before leaf m come m leaves, m/2 level-1 nodes,
  // m/4 level-2 nodes, …: m + ⌊m/2⌋ + ⌊m/4⌋ + … hashes.
  let m = (n + 1) * 2 ** level - 1;
  let index = 0;
  for (; m > 0; m = Math.floor(m / 2)) index += m;
  return checkResult(index + level);
}

/** The level and number of the stored hash with the given index: the inverse of storedHashIndex. */
export function splitStoredHashIndex(index: number): { level: number; n: number } {
  checkCount('index', index);
  // Leaf n is stored at index 2n − popcount(n) ≤ 2n, so leaf index/2 comes at or before index:
  // walk forward to the last leaf stored at or before index; index is that leaf or a parent it
  // completes.
  let n = Math.floor(index / 2);
  let indexN = storedHashIndex(0, n);
  if (indexN > index) throw new Error('tlog: bad math in splitStoredHashIndex');
  for (;;) {
    const next = indexN + 1 + trailingZeros(n + 1);
    if (next > index) break;
    n++;
    indexN = next;
  }
  const level = index - indexN;
  return { level, n: Math.floor(n / 2 ** level) };
}

/** How many hashes a log of n records stores. */
export function storedHashCount(n: number): number {
  checkCount('n', n);
  if (n === 0) return 0;
  // Leaf n−1 and the subtrees it completes: one per trailing one bit of n−1.
  return storedHashIndex(0, n - 1) + 1 + trailingZeros(n);
}

/**
 * The hashes to store after record n with the given data: its record hash, then the hashes of
 * the subtrees it completes. `read` supplies the earlier stored hashes it needs.
 */
export async function storedHashes(n: number, data: Uint8Array, read: HashReader): Promise<Buffer[]> {
  return storedHashesForRecordHash(n, recordHash(data), read);
}

/** As storedHashes, given the record hash rather than the record. */
export async function storedHashesForRecordHash(n: number, hash: Uint8Array, read: HashReader): Promise<Buffer[]> {
  checkCount('n', n);
  checkHash('record hash', hash);
  let h: Buffer = Buffer.from(hash);
  const hashes = [h];
  const m = trailingZeros(n + 1);
  const indexes: number[] = [];
  for (let i = m - 1; i >= 0; i--) indexes.push(storedHashIndex(i, Math.floor(n / 2 ** i) - 1));
  const old = await readExactly(read, indexes);
  for (let i = 0; i < m; i++) {
    h = nodeHash(at(old, m - 1 - i), h);
    hashes.push(h);
  }
  return hashes;
}

// Tree hashes and proofs.
//
// The tree of records lo..hi−1 splits at the largest power of two k < hi − lo (RFC 6962's
// MTH); its hash is built from the complete subtrees that cover lo..hi−1, largest first.

/** The hash of the tree of the first n records. */
export async function treeHash(n: number, read: HashReader): Promise<Buffer> {
  checkCount('n', n);
  if (n === 0) return Buffer.from(EMPTY_TREE_HASH);
  const indexes = subTreeIndex(0, n, []);
  const hashes = await readExactly(read, indexes);
  const [hash, rest] = subTreeHash(0, n, hashes);
  if (rest.length !== 0) throw new Error('tlog: bad index math in treeHash');
  return hash;
}

/** The largest power of two below n (n > 1), and its log2; for n = 1, 1 and 0. */
function maxpow2(n: number): [k: number, level: number] {
  let level = 0;
  while (2 ** (level + 1) < n) level++;
  return [2 ** level, level];
}

/** Appends the indexes of the complete subtrees covering lo..hi−1, largest first. */
function subTreeIndex(lo: number, hi: number, need: number[]): number[] {
  while (lo < hi) {
    const [k, level] = maxpow2(hi - lo + 1);
    if (lo % k !== 0) throw new Error('tlog: bad math in subTreeIndex');
    need.push(storedHashIndex(level, lo / k));
    lo += k;
  }
  return need;
}

/** Combines the leading hashes read for subTreeIndex(lo, hi); returns the hash and the rest. */
function subTreeHash(lo: number, hi: number, hashes: Buffer[]): [Buffer, Buffer[]] {
  let numTree = 0;
  while (lo < hi) {
    const [k] = maxpow2(hi - lo + 1);
    if (lo % k !== 0) throw new Error('tlog: bad math in subTreeHash');
    numTree++;
    lo += k;
  }
  if (hashes.length < numTree || numTree === 0) throw new Error('tlog: bad index math in subTreeHash');
  let h = at(hashes, numTree - 1);
  for (let i = numTree - 2; i >= 0; i--) h = nodeHash(at(hashes, i), h);
  return [h, hashes.slice(numTree)];
}

/**
 * The proof that record n is in the tree of the first t records (RFC 6962's audit path): the
 * sibling subtree hashes from the leaf up to the root.
 */
export async function proveRecord(t: number, n: number, read: HashReader): Promise<Buffer[]> {
  checkCount('t', t);
  checkCount('n', n);
  if (n >= t) throw new TlogError(`cannot prove record ${n} in a tree of ${t} records: no such record`);
  const indexes = leafProofIndex(0, t, n, []);
  if (indexes.length === 0) return [];
  const hashes = await readExactly(read, indexes);
  const [proof, rest] = leafProof(0, t, n, hashes);
  if (rest.length !== 0) throw new Error('tlog: bad index math in proveRecord');
  return proof;
}

function leafProofIndex(lo: number, hi: number, n: number, need: number[]): number[] {
  if (lo + 1 === hi) return need;
  const [k] = maxpow2(hi - lo);
  if (n < lo + k) {
    leafProofIndex(lo, lo + k, n, need);
    subTreeIndex(lo + k, hi, need);
  } else {
    subTreeIndex(lo, lo + k, need);
    leafProofIndex(lo + k, hi, n, need);
  }
  return need;
}

function leafProof(lo: number, hi: number, n: number, hashes: Buffer[]): [Buffer[], Buffer[]] {
  if (lo + 1 === hi) return [[], hashes];
  const [k] = maxpow2(hi - lo);
  let proof: Buffer[];
  let th: Buffer;
  if (n < lo + k) {
    [proof, hashes] = leafProof(lo, lo + k, n, hashes);
    [th, hashes] = subTreeHash(lo + k, hi, hashes);
  } else {
    [th, hashes] = subTreeHash(lo, lo + k, hashes);
    [proof, hashes] = leafProof(lo + k, hi, n, hashes);
  }
  proof.push(th);
  return [proof, hashes];
}

/**
 * Checks that `proof` shows record n, with record hash `hash`, in the tree of t records whose
 * hash is `treeHash`. Throws a TlogError if it does not.
 */
export function checkRecord(proof: readonly Uint8Array[], t: number, treeHash: Uint8Array, n: number, hash: Uint8Array): void {
  checkCount('t', t);
  checkCount('n', n);
  if (n >= t) throw new TlogError(`cannot check record ${n} in a tree of ${t} records: no such record`);
  checkHash('tree hash', treeHash);
  checkHash('record hash', hash);
  proof.forEach((h, i) => checkHash(`proof hash #${i}`, h));
  const th = runRecordProof(proof, 0, t, n, hash);
  if (th === null || !th.equals(treeHash)) {
    throw new TlogError(`invalid transparency proof: record ${n} is not proved to be in the tree of ${t} records`);
  }
}

function runRecordProof(proof: readonly Uint8Array[], lo: number, hi: number, n: number, leaf: Uint8Array): Buffer | null {
  if (lo + 1 === hi) return proof.length === 0 ? Buffer.from(leaf) : null;
  const last = proof[proof.length - 1];
  if (last === undefined) return null;
  const [k] = maxpow2(hi - lo);
  const below = proof.slice(0, -1);
  if (n < lo + k) {
    const th = runRecordProof(below, lo, lo + k, n, leaf);
    return th === null ? null : nodeHash(th, last);
  }
  const th = runRecordProof(below, lo + k, hi, n, leaf);
  return th === null ? null : nodeHash(last, th);
}

/**
 * The proof that the tree of the first n records is a prefix of the tree of the first t
 * records (RFC 6962's consistency proof), for 1 ≤ n ≤ t.
 */
export async function proveTree(t: number, n: number, read: HashReader): Promise<Buffer[]> {
  checkCount('t', t);
  checkCount('n', n);
  if (n < 1 || n > t) throw new TlogError(`cannot prove tree of ${n} records in a tree of ${t}: need 1 ≤ ${n} ≤ ${t}`);
  const indexes = treeProofIndex(0, t, n, []);
  if (indexes.length === 0) return [];
  const hashes = await readExactly(read, indexes);
  const [proof, rest] = treeProof(0, t, n, hashes);
  if (rest.length !== 0) throw new Error('tlog: bad index math in proveTree');
  return proof;
}

function treeProofIndex(lo: number, hi: number, n: number, need: number[]): number[] {
  if (n === hi) return lo === 0 ? need : subTreeIndex(lo, hi, need);
  const [k] = maxpow2(hi - lo);
  if (n <= lo + k) {
    treeProofIndex(lo, lo + k, n, need);
    subTreeIndex(lo + k, hi, need);
  } else {
    subTreeIndex(lo, lo + k, need);
    treeProofIndex(lo + k, hi, n, need);
  }
  return need;
}

function treeProof(lo: number, hi: number, n: number, hashes: Buffer[]): [Buffer[], Buffer[]] {
  if (n === hi) {
    if (lo === 0) return [[], hashes];
    const [th, rest] = subTreeHash(lo, hi, hashes);
    return [[th], rest];
  }
  const [k] = maxpow2(hi - lo);
  let proof: Buffer[];
  let th: Buffer;
  if (n <= lo + k) {
    [proof, hashes] = treeProof(lo, lo + k, n, hashes);
    [th, hashes] = subTreeHash(lo + k, hi, hashes);
  } else {
    [th, hashes] = subTreeHash(lo, lo + k, hashes);
    [proof, hashes] = treeProof(lo + k, hi, n, hashes);
  }
  proof.push(th);
  return [proof, hashes];
}

/**
 * Checks that `proof` shows the tree of n records with hash `oldHash` to be a prefix of the
 * tree of t records with hash `treeHash`. Throws a TlogError if it does not.
 */
export function checkTree(proof: readonly Uint8Array[], t: number, treeHash: Uint8Array, n: number, oldHash: Uint8Array): void {
  checkCount('t', t);
  checkCount('n', n);
  if (n < 1 || n > t) throw new TlogError(`cannot check tree of ${n} records in a tree of ${t}: need 1 ≤ ${n} ≤ ${t}`);
  checkHash('tree hash', treeHash);
  checkHash('old tree hash', oldHash);
  proof.forEach((h, i) => checkHash(`proof hash #${i}`, h));
  const result = runTreeProof(proof, 0, t, n, oldHash);
  if (result === null || !result[0].equals(oldHash) || !result[1].equals(treeHash)) {
    throw new TlogError(`invalid transparency proof: tree of ${n} records is not proved to be a prefix of the tree of ${t}`);
  }
}

/** Recomputes [old tree hash, new tree hash] over lo..hi−1 from the proof; null if it has the wrong shape. */
function runTreeProof(proof: readonly Uint8Array[], lo: number, hi: number, n: number, old: Uint8Array): [Buffer, Buffer] | null {
  if (n === hi) {
    if (lo === 0) return proof.length === 0 ? [Buffer.from(old), Buffer.from(old)] : null;
    const only = proof[0];
    return proof.length === 1 && only !== undefined ? [Buffer.from(only), Buffer.from(only)] : null;
  }
  const last = proof[proof.length - 1];
  if (last === undefined) return null;
  const [k] = maxpow2(hi - lo);
  const below = proof.slice(0, -1);
  if (n <= lo + k) {
    const r = runTreeProof(below, lo, lo + k, n, old);
    return r === null ? null : [r[0], nodeHash(r[1], last)];
  }
  const r = runTreeProof(below, lo + k, hi, n, old);
  return r === null ? null : [nodeHash(last, r[0]), nodeHash(last, r[1])];
}

// Tiles.
//
// A tile of height H holds 2^H consecutive hashes of one level of a tiling: tile level L holds
// tree level L·H, number N covers hashes N·2^H … N·2^H + W − 1 of that level. A partial tile (W
// < 2^H) is the start of the complete tile it will grow into. The hashes of higher tree levels
// inside a tile are not stored: they are recomputed from the tile's bottom row. Level −1 names
// the record data tiles ("tile/H/data/…"), which hold records, not hashes.

/** A tile: height H (8 for sum.golang.org), tiling level L (−1 for data), number N, width W. */
export type Tile = { H: number; L: number; N: number; W: number };

const PATH_BASE = 1000;

/**
 * The tile's path, "tile/H/L/NNN" with ".p/W" after a partial tile's number. N is written in
 * three-digit groups, every group but the last prefixed by "x" so that no directory holds more
 * than 1000 entries: N = 1234067 is "x001/x234/067".
 */
export function tilePath(tile: Tile): string {
  let n = tile.N;
  let nStr = pad3(n % PATH_BASE);
  while (n >= PATH_BASE) {
    n = Math.floor(n / PATH_BASE);
    nStr = `x${pad3(n % PATH_BASE)}/${nStr}`;
  }
  const partial = tile.W !== 2 ** tile.H ? `.p/${tile.W}` : '';
  const level = tile.L === -1 ? 'data' : String(tile.L);
  return `tile/${tile.H}/${level}/${nStr}${partial}`;
}

function pad3(n: number): string {
  return String(n).padStart(3, '0');
}

/**
 * Parses a tile path; the path must be exactly the one tilePath gives for the tile, with
 * 1 ≤ H ≤ 30, L ≥ 0 or "data", and 1 ≤ W < 2^H after ".p/".
 */
export function parseTilePath(path: string): Tile {
  const bad = (rule: string) => new TlogError(`malformed tile path ${goQuote(path)}: ${rule}`);
  let f = path.split('/');
  if (f.length < 4 || f[0] !== 'tile') throw bad('want tile/H/L/N');
  const h = parseDecimal(at(f, 1));
  const isData = f[2] === 'data';
  const l = isData ? -1 : parseDecimal(at(f, 2));
  if (h === null || h < 1 || h > 30) throw bad('height must be 1 to 30');
  if (l === null) throw bad('level must be a number or "data"');
  let w = 2 ** h;
  const dotP = at(f, f.length - 2);
  if (dotP.endsWith('.p')) {
    const ww = parseDecimal(at(f, f.length - 1));
    if (ww === null || ww <= 0 || ww >= w) throw bad(`partial width must be 1 to ${w - 1}`);
    w = ww;
    f = [...f.slice(0, -2), dotP.slice(0, -'.p'.length)];
  }
  let n = 0;
  for (const elem of f.slice(3)) {
    const nn = parseDecimal(elem.startsWith('x') ? elem.slice(1) : elem);
    if (nn === null || nn >= PATH_BASE) throw bad('number elements must be 000 to 999');
    n = n * PATH_BASE + nn;
  }
  if (!Number.isSafeInteger(n)) throw bad('number too large');
  const tile = { H: h, L: l, N: n, W: w };
  if (tilePath(tile) !== path) throw bad(`not in canonical form ${goQuote(tilePath(tile))}`);
  return tile;
}

/** A string of decimal digits as a number (Go's strconv.Atoi, without signs); null if not. */
function parseDecimal(s: string): number | null {
  if (!/^[0-9]{1,15}$/.test(s)) return null;
  return Number(s);
}

/** The smallest tile of height h that holds the stored hash with the given index. */
export function tileForIndex(h: number, index: number): Tile {
  checkHeight(h);
  return locateInTile(h, index).tile;
}

/** The tile holding a stored hash and where, in bytes, the hashes that make it up lie in the tile. */
function locateInTile(h: number, index: number): { tile: Tile; start: number; end: number } {
  const split = splitStoredHashIndex(index);
  let n = split.n;
  const L = Math.floor(split.level / h);
  const level = split.level - L * h; // level within the tile
  const N = Math.floor((n * 2 ** level) / 2 ** h);
  n -= (N * 2 ** h) / 2 ** level; // n within the tile, at that level
  const W = (n + 1) * 2 ** level;
  return { tile: { H: h, L, N, W }, start: n * 2 ** level * HASH_SIZE, end: W * HASH_SIZE };
}

/** The stored hash with the given index, computed from the data of a tile that holds it. */
export function hashFromTile(tile: Tile, data: Uint8Array, index: number): Buffer {
  if (!isValidTile(tile)) throw new TlogError(`invalid tile ${describeTile(tile)}`);
  if (data.length < tile.W * HASH_SIZE) {
    throw new TlogError(`data length ${data.length} too short for tile ${tilePath(tile)}: want ${tile.W * HASH_SIZE}`);
  }
  const { tile: t1, start, end } = locateInTile(tile.H, index);
  if (tile.L !== t1.L || tile.N !== t1.N || tile.W < t1.W) {
    throw new TlogError(`index ${index} is in ${tilePath(t1)}, not ${tilePath(tile)}`);
  }
  return memoizedTileHash(data, start, end);
}

/**
 * Subtree hashes of tile data already computed, by the data's buffer and the byte range. A client
 * reads the same cached tiles for every lookup; a subtree of a full tile is 255 SHA-256 runs, so
 * this saves most of a lookup's work. Tile data is never modified once read, and an entry goes
 * with its buffer.
 */
const subtreeHashes = new WeakMap<Uint8Array, Map<number, Buffer>>();

function memoizedTileHash(data: Uint8Array, start: number, end: number): Buffer {
  let hashes = subtreeHashes.get(data);
  if (!hashes) subtreeHashes.set(data, (hashes = new Map()));
  const key = start * 2 ** 26 + end;
  let hash = hashes.get(key);
  if (!hash) hashes.set(key, (hash = tileHash(data.subarray(start, end))));
  return hash;
}

/** The hash of the subtree whose bottom row is the given run of hashes (a power of two of them). */
function tileHash(data: Uint8Array): Buffer {
  if (data.length === HASH_SIZE) return Buffer.from(data);
  if (data.length === 0) throw new Error('tlog: bad math in tileHash');
  const half = data.length / 2;
  return nodeHash(tileHash(data.subarray(0, half)), tileHash(data.subarray(half)));
}

/** The tiles of height h that a log must publish when it grows from oldSize to newSize records. */
export function newTiles(h: number, oldSize: number, newSize: number): Tile[] {
  checkHeight(h);
  checkCount('oldSize', oldSize);
  checkCount('newSize', newSize);
  const width = 2 ** h;
  const tiles: Tile[] = [];
  for (let level = 0; Math.floor(newSize / 2 ** (h * level)) > 0; level++) {
    const oldN = Math.floor(oldSize / 2 ** (h * level));
    const newN = Math.floor(newSize / 2 ** (h * level));
    if (oldN === newN) continue;
    const last = Math.floor(newN / width);
    for (let n = Math.floor(oldN / width); n < last; n++) tiles.push({ H: h, L: level, N: n, W: width });
    const w = newN - last * width;
    if (w > 0) tiles.push({ H: h, L: level, N: last, W: w });
  }
  return tiles;
}

/** The data of a tile: its W bottom-row hashes, concatenated, read from stored hashes. */
export async function readTileData(tile: Tile, read: HashReader): Promise<Buffer> {
  if (!isValidTile(tile) || tile.L < 0) throw new TlogError(`invalid hash tile ${describeTile(tile)}`);
  const start = tile.N * 2 ** tile.H;
  const indexes: number[] = [];
  for (let i = 0; i < tile.W; i++) indexes.push(storedHashIndex(tile.H * tile.L, start + i));
  return Buffer.concat(await readExactly(read, indexes));
}

/** The hashes in a tile's data, in order. */
export function tileHashes(tile: Tile, data: Uint8Array): Buffer[] {
  if (data.length !== tile.W * HASH_SIZE) {
    throw new TlogError(`data length ${data.length} wrong for tile ${tilePath(tile)}: want ${tile.W * HASH_SIZE}`);
  }
  const hashes: Buffer[] = [];
  for (let i = 0; i < tile.W; i++) hashes.push(Buffer.from(data.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE)));
  return hashes;
}

/** Where tiles come from, for tileHashReader. */
export type TileReader = {
  /** The tile height of the log: 8 for sum.golang.org. */
  height: number;
  /** The data of each tile, in order; each must be exactly W·32 bytes. */
  readTiles(tiles: Tile[]): Promise<Uint8Array[]>;
  /** Called with tiles that have been checked against the tree hash, for caching. Optional. */
  saveTiles?(tiles: Tile[], data: Uint8Array[]): void | Promise<void>;
};

/**
 * A HashReader for the tree `tree` that reads hashes from tiles and trusts none it has not
 * checked: for each call it reads the tiles that hold the tree's own subtree hashes, checks that
 * they combine to tree.hash, then checks every other tile it reads against the hash its parent
 * tile holds for it. A tile that fails either check is refused ("downloaded inconsistent tile").
 */
export function tileHashReader(tree: Tree, reader: TileReader): HashReader {
  const h = reader.height;
  checkHeight(h);
  checkCount('tree size', tree.N);
  checkHash('tree hash', tree.hash);
  return async (indexes) => {
    const tiles: Tile[] = [];
    const tileOrder = new Map<string, number>(); // tile path → position in tiles
    const addTile = (tile: Tile): number => {
      tileOrder.set(tilePath(tile), tiles.length);
      tiles.push(tile);
      return tiles.length - 1;
    };

    // The tiles holding the hashes that make up the tree hash: these are checked first.
    const stx = subTreeIndex(0, tree.N, []);
    const stxTileOrder = stx.map((x) => {
      const tile = tileParent(locateInTile(h, x).tile, 0, tree.N);
      return tileOrder.get(tilePath(tile)) ?? addTile(tile);
    });

    // The tile for each wanted hash, and the complete tiles between it and a tile already listed,
    // so that each can be checked against its parent.
    const limit = storedHashIndex(0, tree.N);
    const indexTileOrder = indexes.map((x) => {
      if (x >= limit) throw new TlogError(`stored hash ${x} is not in the tree of ${tree.N} records`);
      const tile = locateInTile(h, x).tile;
      let k = 0;
      let found: number | undefined;
      for (;; k++) {
        found = tileOrder.get(tilePath(tileParent(tile, k, tree.N)));
        if (found !== undefined) break;
      }
      if (k === 0) return found;
      let own = -1;
      for (k--; k >= 0; k--) {
        const parent = tileParent(tile, k, tree.N);
        if (parent.W !== 2 ** parent.H) {
          throw new Error(`tlog: bad math in tileHashReader: ${tree.N} ${x} ${tilePath(parent)}`);
        }
        const j = addTile(parent);
        if (k === 0) own = j;
      }
      return own;
    });

    const data = await reader.readTiles(tiles);
    if (data.length !== tiles.length) {
      throw new TlogError(`tile reader returned ${data.length} tiles, want ${tiles.length}`);
    }
    tiles.forEach((tile, i) => {
      const length = at(data, i).length;
      if (length !== tile.W * HASH_SIZE) {
        throw new TlogError(`tile reader returned ${length} bytes for ${tilePath(tile)}, want ${tile.W * HASH_SIZE}`);
      }
    });

    // The tree's own subtree hashes must give the tree hash.
    let th: Buffer | undefined;
    for (let i = stx.length - 1; i >= 0; i--) {
      const j = at(stxTileOrder, i);
      const hash = hashFromTile(at(tiles, j), at(data, j), at(stx, i));
      th = th === undefined ? hash : nodeHash(hash, th);
    }
    if (th === undefined ? tree.N !== 0 : !th.equals(tree.hash)) {
      throw new TlogError(`downloaded inconsistent tile: tiles do not give the hash of the tree of ${tree.N} records`);
    }

    // Every other tile must hash to what its parent, listed before it, holds for it.
    const lastStx = stxTileOrder.length === 0 ? -1 : Math.max(...stxTileOrder);
    for (let i = lastStx + 1; i < tiles.length; i++) {
      const tile = at(tiles, i);
      const parent = tileParent(tile, 1, tree.N);
      const j = tileOrder.get(tilePath(parent));
      if (j === undefined) throw new Error(`tlog: bad math in tileHashReader: lost parent of ${tilePath(tile)}`);
      const want = hashFromTile(parent, at(data, j), storedHashIndex(parent.L * parent.H, tile.N));
      const tileData = at(data, i);
      if (!want.equals(memoizedTileHash(tileData, 0, tileData.length))) {
        throw new TlogError(`downloaded inconsistent tile: ${tilePath(tile)} does not match ${tilePath(parent)}`);
      }
    }

    await reader.saveTiles?.(tiles, data);

    return indexes.map((x, i) => {
      const j = at(indexTileOrder, i);
      return hashFromTile(at(tiles, j), at(data, j), x);
    });
  };
}

/**
 * The k-th ancestor of a tile within the tree of n records, cut to the width the tree gives it.
 * When the tree does not reach it, a tile with L = −2 and W = 0, which is never listed.
 */
function tileParent(tile: Tile, k: number, n: number): Tile {
  const L = tile.L + k;
  const N = Math.floor(tile.N / 2 ** (k * tile.H));
  let W = 2 ** tile.H;
  const max = Math.floor(n / 2 ** (L * tile.H));
  const start = N * 2 ** tile.H;
  if (start + W >= max) {
    if (start >= max) return { H: tile.H, L: -2, N: 0, W: 0 };
    W = max - start;
  }
  return { H: tile.H, L, N, W };
}

function isValidTile(t: Tile): boolean {
  return (
    Number.isInteger(t.H) && t.H >= 1 && t.H <= 30 &&
    Number.isInteger(t.L) && t.L >= -1 && t.L < 64 &&
    Number.isSafeInteger(t.N) && t.N >= 0 &&
    Number.isInteger(t.W) && t.W >= 1 && t.W <= 2 ** t.H
  );
}

function describeTile(t: Tile): string {
  return `{H: ${t.H}, L: ${t.L}, N: ${t.N}, W: ${t.W}}`;
}

// Tree heads and records.

/** A tree head: the number of records and the hash of the tree of them. */
export type Tree = { N: number; hash: Buffer };

const TREE_PREFIX = 'go.sum database tree\n';

/** The text of a tree head, the body of the signed note a checksum database serves at /latest. */
export function formatTree(tree: Tree): string {
  checkCount('tree size', tree.N);
  return `${TREE_PREFIX}${tree.N}\n${formatHash(tree.hash)}\n`;
}

/**
 * Parses "go.sum database tree\n<N>\n<base64 hash>\n" (anything after the third line is
 * ignored, as Go does). N is decimal without leading zeros; the text is at most 1e6 bytes.
 */
export function parseTree(text: string | Uint8Array): Tree {
  const s = typeof text === 'string' ? text : Buffer.from(text).toString('latin1');
  const bad = (rule: string) => new TlogError(`malformed tree note: ${rule}`);
  if (s.length > 1e6) throw bad('longer than 1e6 bytes');
  if (!s.startsWith(TREE_PREFIX)) throw bad(`does not start with ${goQuote(TREE_PREFIX)}`);
  const lines = s.split('\n');
  if (lines.length < 4) throw bad('want three lines');
  const sizeText = at(lines, 1);
  const hashText = at(lines, 2);
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
    throw bad(`tree size ${goQuote(sizeText)} is not a decimal number below 2^53`);
  }
  const hash = decodeBase64Strict(hashText);
  if (hash === null || hash.length !== HASH_SIZE) throw bad(`tree hash ${goQuote(hashText)} is not 32 bytes in base64`);
  return { N: Number(sizeText), hash };
}

/**
 * The message a checksum database serves for a record: "<id>\n<text>\n" followed by the
 * blank line that ends the text. The text must be valid record text (see parseRecord).
 */
export function formatRecord(id: number, text: Uint8Array): Buffer {
  checkCount('record id', id);
  if (!isValidRecordText(text)) throw new TlogError(`malformed record data: text must be non-empty lines of printable UTF-8, ending in a newline`);
  return Buffer.concat([Buffer.from(`${id}\n`), text, Buffer.from('\n')]);
}

/**
 * Splits "<id>\n<text>\n\n<rest>": the record id, its text (lines of UTF-8 without control
 * characters other than newline, no blank line, ending in "\n"), and what follows the blank line.
 */
export function parseRecord(msg: Uint8Array): { id: number; text: Buffer; rest: Buffer } {
  const buf = Buffer.from(msg.buffer, msg.byteOffset, msg.byteLength);
  const nl = buf.indexOf(0x0a);
  if (nl < 0) throw new TlogError('malformed record data: no newline after the record id');
  const idText = buf.subarray(0, nl).toString('latin1');
  if (!/^(0|[1-9][0-9]*)$/.test(idText) || !Number.isSafeInteger(Number(idText))) {
    throw new TlogError(`malformed record data: record id ${goQuote(idText)} is not a decimal number below 2^53`);
  }
  const body = buf.subarray(nl + 1);
  const end = body.indexOf('\n\n');
  if (end < 0) throw new TlogError('malformed record data: no blank line after the record text');
  const text = Buffer.from(body.subarray(0, end + 1));
  if (!isValidRecordText(text)) {
    throw new TlogError('malformed record data: text must be lines of printable UTF-8, ending in a newline');
  }
  return { id: Number(idText), text, rest: Buffer.from(body.subarray(end + 2)) };
}

/**
 * The answer of a checksum database to /lookup/M@V: the record id, the record data (the go.sum
 * lines for M@V, whose recordHash is the leaf hash) and the signed tree note that follows, kept
 * as bytes so that its signature can be checked.
 */
export function parseLookup(body: Uint8Array): { id: number; data: Buffer; note: Buffer } {
  const { id, text, rest } = parseRecord(body);
  if (rest.length === 0) throw new TlogError('malformed lookup answer: no signed tree note after the record');
  return { id, data: text, note: rest };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function isValidRecordText(text: Uint8Array): boolean {
  let s: string;
  try {
    s = utf8.decode(text);
  } catch {
    return false;
  }
  if (!s.endsWith('\n')) return false;
  // A control character other than newline, or a blank line (which would end the record).
  return !/[\x00-\x09\x0b-\x1f]|\n\n/.test(s);
}

// Helpers.

/** Base64 that must round-trip exactly: Node's decoder skips junk, Go's does not. */
function decodeBase64Strict(text: string): Buffer | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return null;
  const data = Buffer.from(text, 'base64');
  return data.toString('base64') === text ? data : null;
}

async function readExactly(read: HashReader, indexes: number[]): Promise<Buffer[]> {
  const hashes = await read(indexes);
  if (hashes.length !== indexes.length) {
    throw new TlogError(`tlog: hash reader returned ${hashes.length} hashes for ${indexes.length} indexes`);
  }
  hashes.forEach((h, i) => checkHash(`stored hash ${indexes[i]}`, h));
  return hashes;
}

function trailingZeros(n: number): number {
  let z = 0;
  while (n > 0 && n % 2 === 0) {
    n /= 2;
    z++;
  }
  return z;
}

function at<T>(list: readonly T[], i: number): T {
  const v = list[i];
  if (v === undefined) throw new Error(`tlog: index ${i} out of range ${list.length}`);
  return v;
}

function checkCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new TlogError(`${name} ${value} is not a non-negative integer below 2^53`);
  }
}

function checkResult(value: number): number {
  if (!Number.isSafeInteger(value)) throw new TlogError(`stored hash index ${value} is beyond 2^53`);
  return value;
}

function checkHeight(h: number): void {
  if (!Number.isInteger(h) || h < 1 || h > 30) throw new TlogError(`tile height ${h} is not an integer from 1 to 30`);
}

function checkHash(name: string, hash: Uint8Array): void {
  if (hash.length !== HASH_SIZE) throw new TlogError(`${name} is ${hash.length} bytes, want ${HASH_SIZE}`);
}
