// golang.org/x/mod/sumdb/tlog as an oracle, without the network: tlogOracle/main.go built against
// the copy of x/mod that the go command vendors (GOROOT/src/cmd/vendor/golang.org/x/mod). The
// binary is kept under the system temp dir, keyed by the program and the go version, and reused.

import { buildXmodProgram, runProgram } from '../../fixtures/xmodProgram.ts';

export type OracleTile = { path: string; H: number; L: number; N: number; W: number; data: string };

/** What x/mod computes for a log of records "record i\n"; hashes are hex. */
export type TlogOracleOutput = {
  /** storedCount[n]: StoredHashCount(n), for n = 0..N. */
  storedCount: number[];
  /** Every stored hash of the log of N records, by index. */
  storedHashes: string[];
  /** treeHashes[n]: TreeHash(n), for n = 0..N. */
  treeHashes: string[];
  /** FormatTree for sizes 0..3 and N. */
  treeNotes: string[];
  /** ProveRecord(t, n). */
  recordProofs: Array<{ t: number; n: number; proof: string[] }>;
  /** ProveTree(t, n). */
  treeProofs: Array<{ t: number; n: number; proof: string[] }>;
  /** NewTiles(height, 0, tileSize) with ReadTileData of each. */
  tiles: OracleTile[];
  /** StoredHashIndex(level, n) and TileForIndex(8, that index), data empty. */
  indexes: Array<{ level: number; n: number; index: number; tile: OracleTile }>;
};

/** The record data the oracle logs. */
export const oracleRecord = (i: number): Buffer => Buffer.from(`record ${i}\n`);

const source = new URL('./tlogOracle/main.go', import.meta.url);

/** Build the oracle (once per program and go version) and return the path of its binary. */
export function buildTlogOracle(): Promise<string> {
  return buildXmodProgram('tlogoracle', source);
}

/** Run the oracle for a log of `records` records and the tiles of `height` for a tree of `tileSize`. */
export async function runTlogOracle(binary: string, records: number, height: number, tileSize: number): Promise<TlogOracleOutput> {
  const stdout = await runProgram(binary, { args: [String(records), String(height), String(tileSize)] });
  return JSON.parse(stdout) as TlogOracleOutput;
}
