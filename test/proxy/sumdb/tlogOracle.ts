// golang.org/x/mod/sumdb/tlog as an oracle, without the network: tlogOracle/main.go built against
// the copy of x/mod that the go command vendors (GOROOT/src/cmd/vendor/golang.org/x/mod). The
// binary is kept under the system temp dir, keyed by the program and the go version, and reused.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { goEnv, makeTempDir, removeTempDir, runGo } from '../../fixtures/goCommand.ts';

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
export async function buildTlogOracle(): Promise<string> {
  const home = await makeTempDir('gomodproxy-tlog-home-');
  try {
    const env = goEnv({ home, goproxy: 'off', extra: { GOFLAGS: '-modcacherw -mod=mod' } });
    const goroot = (await runGo(['env', 'GOROOT'], { cwd: home, env })).stdout.trim();
    const goVersion = (await runGo(['version'], { cwd: home, env })).stdout.trim();
    const program = await readFile(source);
    const key = createHash('sha256').update(program).update(goVersion).update(goroot).digest('hex').slice(0, 16);
    const dir = join(tmpdir(), 'gomodproxy-tlog-oracle', key);
    const binary = join(dir, 'tlogoracle');
    if (await exists(binary)) return binary;

    const work = join(home, 'build');
    await cp(join(goroot, 'src', 'cmd', 'vendor', 'golang.org', 'x', 'mod'), join(work, 'xmod'), { recursive: true });
    await writeFile(join(work, 'xmod', 'go.mod'), 'module golang.org/x/mod\n\ngo 1.24\n');
    await mkdir(join(work, 'oracle'));
    await writeFile(join(work, 'oracle', 'main.go'), program);
    await writeFile(
      join(work, 'oracle', 'go.mod'),
      'module gomodproxy.test/tlogoracle\n\ngo 1.24\n\nrequire golang.org/x/mod v0.0.0\n\nreplace golang.org/x/mod => ../xmod\n',
    );
    await runGo(['build', '-o', join(work, 'tlogoracle'), '.'], { cwd: join(work, 'oracle'), env, timeoutMs: 300_000 });
    await mkdir(dir, { recursive: true });
    // Another run may have built it meanwhile: either binary is the same program.
    await rename(join(work, 'tlogoracle'), binary);
    return binary;
  } finally {
    await removeTempDir(home);
  }
}

/** Run the oracle for a log of `records` records and the tiles of `height` for a tree of `tileSize`. */
export async function runTlogOracle(binary: string, records: number, height: number, tileSize: number): Promise<TlogOracleOutput> {
  const { stdout } = await promisify(execFile)(binary, [String(records), String(height), String(tileSize)], {
    env: { PATH: '/usr/bin:/bin' },
    maxBuffer: 256 * 1024 * 1024,
  });
  return JSON.parse(stdout) as TlogOracleOutput;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
