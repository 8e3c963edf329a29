// A disk store holding many module versions, in the layout the proxy writes (the Go module cache's
// download layout): <escaped path>/@v/{list, <v>.info, <v>.mod, <v>.zip, <v>.ziphash}.
//
// Each zip is a real module zip with one entry, <path>@<version>/go.mod, written here directly
// (stored, no compression) because a zip library is far slower for 100,000 of them; its .ziphash
// is the h1: hash the go command would compute.
//
// Generating 100,000 versions takes a while, so the store is kept in the system temp folder and
// reused while its marker file says it was completed with the same shape.

import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { hashFileList } from '../proxy/modzip/index.ts';
import { escapeCase } from '../test/fixtures/moduleTree.ts';

export type BigStoreShape = { modules: number; versionsPerModule: number };

/** Bumped whenever what is written changes, so that an older cached store is made again. */
const FORMAT = 1;
const MARKER = '.bench-store-complete';
const WRITES_AT_ONCE = 256;

export function bigStoreModulePath(index: number): string {
  return `github.com/bench-org-${String(index % 100).padStart(2, '0')}/module-${String(index).padStart(5, '0')}`;
}

export function bigStoreVersion(index: number): string {
  return `v1.${index}.0`;
}

/** The files of one module with its versions, by path relative to the store root. */
export function moduleFiles(path: string, versions: string[]): Array<[string, Uint8Array]> {
  const folder = `${escapeCase(path)}/@v`;
  const files: Array<[string, Uint8Array]> = [];
  for (const version of versions) {
    const base = `${folder}/${escapeCase(version)}`;
    const goMod = Buffer.from(`module ${path}\n\ngo 1.21\n`);
    const entry = `${path}@${version}/go.mod`;
    files.push([`${base}.info`, Buffer.from(JSON.stringify({ Version: version, Time: '2024-01-01T00:00:00Z' }))]);
    files.push([`${base}.mod`, goMod]);
    files.push([`${base}.zip`, storedZip(entry, goMod)]);
    files.push([`${base}.ziphash`, Buffer.from(h1([[entry, goMod]]))]);
  }
  files.push([`${folder}/list`, Buffer.from(versions.map((v) => `${v}\n`).join(''))]);
  return files;
}

/**
 * The store at <tmpdir>/<name>, made if it is missing or incomplete. Returns its root and whether
 * it was made now.
 */
export async function ensureBigStore(root: string, shape: BigStoreShape, progress: (message: string) => void): Promise<{ made: boolean; seconds: number }> {
  const wanted = JSON.stringify({ format: FORMAT, ...shape });
  const marker = await readFile(join(root, MARKER), 'utf8').catch(() => '');
  if (marker === wanted) return { made: false, seconds: 0 };

  const started = performance.now();
  const building = `${root}.building-${process.pid}`;
  await rm(building, { recursive: true, force: true });
  const versions = Array.from({ length: shape.versionsPerModule }, (_, i) => bigStoreVersion(i));
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < shape.modules; index = next++) {
      const path = bigStoreModulePath(index);
      await mkdir(join(building, escapeCase(path), '@v'), { recursive: true });
      await Promise.all(moduleFiles(path, versions).map(([name, bytes]) => writeFile(join(building, name), bytes)));
      if (++done % 1000 === 0) progress(`startup: ${done} of ${shape.modules} modules written`);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(WRITES_AT_ONCE / 8, shape.modules) }, worker));
    await writeFile(join(building, MARKER), wanted);
    await rm(root, { recursive: true, force: true });
    await rename(building, root);
  } catch (err) {
    await rm(building, { recursive: true, force: true });
    throw err;
  }
  return { made: true, seconds: (performance.now() - started) / 1000 };
}

// ---------------------------------------------------------------------------------------------
// A module zip of one stored entry, and its h1: hash

/** 2024-01-01 00:00:00 in MS-DOS date and time fields. */
const DOS_DATE = ((2024 - 1980) << 9) | (1 << 5) | 1;
const DOS_TIME = 0;
/** UTF-8 names (general purpose bit 11). */
const UTF8_FLAG = 0x0800;

function storedZip(name: string, content: Buffer): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  const crc = crc32(content);

  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(UTF8_FLAG, 6);
  local.writeUInt16LE(0, 8);
  local.writeUInt16LE(DOS_TIME, 10);
  local.writeUInt16LE(DOS_DATE, 12);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(content.length, 18);
  local.writeUInt32LE(content.length, 22);
  local.writeUInt16LE(nameBytes.length, 26);
  local.writeUInt16LE(0, 28);

  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE((3 << 8) | 20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(UTF8_FLAG, 8);
  central.writeUInt16LE(0, 10);
  central.writeUInt16LE(DOS_TIME, 12);
  central.writeUInt16LE(DOS_DATE, 14);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(content.length, 20);
  central.writeUInt32LE(content.length, 24);
  central.writeUInt16LE(nameBytes.length, 28);
  central.writeUInt32LE((0o100644 << 16) >>> 0, 38);
  central.writeUInt32LE(0, 42);

  const centralOffset = local.length + nameBytes.length + content.length;
  const centralSize = central.length + nameBytes.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(centralOffset, 16);

  return Buffer.concat([local, nameBytes, content, central, nameBytes, end]);
}

/** The h1: hash of the zip, by the proxy's own dirhash. */
function h1(files: Array<[string, Uint8Array]>): string {
  return hashFileList(files.map(([name, content]) => ({ name, sha256Hex: createHash('sha256').update(content).digest('hex') })));
}
