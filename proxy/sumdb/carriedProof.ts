/**
 * A checksum database's proof carried by an offline bundle (what ChecksumDatabase.proofForBundle
 * wrote), checked where the database cannot be reached, by the rules the go command's client keeps:
 *
 * - The tree head must verify with the configured key.
 * - It must be on one timeline with the tree head this proxy holds: a newer head must contain the
 *   held tree, an older one must be contained in it, each shown by the tree hash at the older size
 *   computed from tiles of the newer tree (RFC 6962). Another hash at that size is a fork; a bundle
 *   without the tiles to show either cannot be placed on the timeline. Both are refused whole.
 *   An older head never replaces the held one.
 * - A version's lookup record must be signed with the bundle's head and be the leaf its tree holds
 *   at the record's id (the inclusion proof).
 *
 * Tiles come from the bundle, else from those kept in storage; tlog's tile hash reader checks each
 * against the tree hash before a hash in it is used. Only what was checked is stored, under the
 * keys the proxy's checksum database client uses, so that an offline proxy serves it.
 */
import type { Storage } from '../storage/index.ts';
import { databaseStorageKey, hashesInRecord, lookupKey, TILE_HEIGHT } from './database.ts';
import { openNote, type Verifier } from './note.ts';
import { HASH_SIZE, parseLookup, parseTree, recordHash, storedHashIndex, tileHashReader, tilePath, TlogError, treeHash, type HashReader, type Tile, type Tree } from './tlog.ts';

/** The checksum database files of a bundle, by their path under sumdb/<name>/. */
export type CarriedFiles = { latest: Buffer; lookups: Map<string, Buffer>; tiles: Map<string, Buffer> };

/** The bundle's proof cannot be accepted; nothing of the bundle may be imported. */
export class CarriedProofError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CarriedProofError';
  }
}

class MissingTileError extends Error {}

export type CheckedProof = {
  /** The bundle's tree. */
  tree: Tree;
  /** The tree this proxy held before the import; null when it held none. */
  held: Tree | null;
  /**
   * The go.sum hashes the bundle's record of module@version holds, proved in its tree; null when
   * the bundle carries no record of it. Throws CarriedProofError when the record does not prove.
   */
  hashes(modulePath: string, version: string): Promise<{ zip?: string; mod?: string } | null>;
  /** Stores the checked tiles and lookups, and the tree head unless the held one is newer. */
  store(): Promise<void>;
};

export async function checkCarriedProof(options: { name: string; verifier: Verifier; storage: Storage; files: CarriedFiles }): Promise<CheckedProof> {
  const { name, verifier, storage, files } = options;
  const key = (rest: string) => databaseStorageKey(name, rest);
  const openTree = (note: Buffer, what: string): Tree => {
    try {
      return parseTree(openNote(note, [verifier]).text);
    } catch (err) {
      throw new CarriedProofError(`${what} does not verify with the configured key ${verifier.vkey}: ${(err as Error).message}`);
    }
  };
  const tree = openTree(files.latest, `the bundle's checksum database tree head`);

  /** Bundle tiles that a successful proof used: the ones to keep. */
  const used = new Map<string, Buffer>();
  const readTile = async (tile: Tile, reading: Map<string, Buffer>): Promise<Buffer> => {
    const path = tilePath(tile);
    const full = tilePath({ ...tile, W: 2 ** tile.H });
    for (const candidate of path === full ? [path] : [path, full]) {
      const carried = files.tiles.get(candidate);
      const data = carried ?? (await storage.readBytes(key(candidate)));
      if (!data) continue;
      if (carried) reading.set(candidate, carried);
      return data.subarray(0, tile.W * HASH_SIZE);
    }
    throw new MissingTileError(`the bundle carries no ${path}`);
  };
  const hashReader = (of: Tree): HashReader => async (indexes) => {
    const reading = new Map<string, Buffer>();
    const read = tileHashReader(of, { height: TILE_HEIGHT, readTiles: (tiles) => Promise.all(tiles.map((tile) => readTile(tile, reading))) });
    const hashes = await read(indexes);
    for (const [path, data] of reading) used.set(path, data);
    return hashes;
  };

  const heldNote = await storage.readBytes(key('latest'));
  let held: Tree | null = null;
  if (heldNote) held = openTree(heldNote, 'the tree head this proxy holds');
  if (held && !(held.N === tree.N && held.hash.equals(tree.hash))) await checkTimeline(held, tree, hashReader);

  const checkedLookups = new Map<string, Buffer>();
  return {
    tree,
    held,
    async hashes(modulePath, version) {
      const lookup = lookupKey(modulePath, version);
      const body = files.lookups.get(lookup);
      if (!body) return null;
      const what = `the checksum database record the bundle carries for ${modulePath}@${version}`;
      let parsed;
      try {
        parsed = parseLookup(body);
      } catch (err) {
        throw new CarriedProofError(`${what} is malformed: ${(err as Error).message}`);
      }
      const signed = openTree(parsed.note, `the tree head of ${what}`);
      if (signed.N !== tree.N || !signed.hash.equals(tree.hash)) throw new CarriedProofError(`${what} is signed with another tree head than the bundle's`);
      if (parsed.id >= tree.N) throw new CarriedProofError(`${what} names record ${parsed.id}, beyond the bundle's tree of ${tree.N} records`);
      let leaf: Buffer | undefined;
      try {
        [leaf] = await hashReader(tree)([storedHashIndex(0, parsed.id)]);
      } catch (err) {
        if (err instanceof MissingTileError || err instanceof TlogError) throw new CarriedProofError(`${what} cannot be proved in its tree: ${err.message}`);
        throw err;
      }
      if (!leaf?.equals(recordHash(parsed.data))) {
        throw new CarriedProofError(`SECURITY ERROR: ${what} is not record ${parsed.id} of the database's signed tree (the inclusion proof fails): the bundle was tampered with`);
      }
      checkedLookups.set(lookup, body);
      return hashesInRecord(parsed.data, modulePath, version);
    },
    async store() {
      for (const [path, data] of used) await storage.putImmutable(key(path), data);
      // A lookup kept already was verified when it was kept; it stays.
      for (const [lookup, body] of checkedLookups) if (!(await storage.stat(key(`lookup/${lookup}`)))) await storage.put(key(`lookup/${lookup}`), body);
      if (!held || tree.N > held.N) await storage.put(key('latest'), files.latest);
    },
  };
}

/** The older of the two trees must be the first records of the newer one (a consistency check). */
async function checkTimeline(held: Tree, tree: Tree, hashReader: (of: Tree) => HashReader): Promise<void> {
  const [older, newer] = tree.N >= held.N ? [held, tree] : [tree, held];
  const relation = tree.N >= held.N ? 'extends' : 'is part of';
  let hash: Buffer;
  if (older.N === newer.N) {
    hash = newer.hash;
  } else {
    try {
      hash = await treeHash(older.N, hashReader(newer));
    } catch (err) {
      if (err instanceof MissingTileError) {
        throw new CarriedProofError(
          `it cannot show that its checksum database tree (${tree.N} records) ${relation} the one this proxy holds (${held.N} records): ${err.message}; ` +
            `export it with --since <the last bundle imported here>`,
        );
      }
      if (err instanceof TlogError) throw new CarriedProofError(`a checksum database tile it carries does not verify: ${err.message}: the bundle was tampered with`);
      throw err;
    }
  }
  if (!hash.equals(older.hash)) {
    throw new CarriedProofError(
      `SECURITY ERROR: its checksum database tree head is not on one timeline with the one this proxy holds (a fork): the tree of ${older.N} records ` +
        `has hash ${older.hash.toString('base64')} in one signed head and ${hash.toString('base64')} in the tree of ${newer.N} records; ` +
        `the database (or whoever signed with its key) served two histories: investigate before importing anything from it`,
    );
  }
}
