// The h1 hashes computed here must be the ones the real go command computes:
// each module is served from a GOPROXY file tree and fetched with
// `go mod download -json`; its Sum, GoModSum and the .ziphash it writes into
// the module cache are compared with checkZipFile and hashGoMod.

import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { escapePath, escapeVersion } from '../../../proxy/protocol/index.ts';
import { checkZipFile, hashGoMod, ZipCheckError } from '../../../proxy/modzip/index.ts';
import { goEnv, runGo } from '../../fixtures/goCommand.ts';
import { replaceBytes, setCrc32, setDeclaredSize, withTempDir, zipBytes } from './zipFiles.ts';
import type { ZipEntrySpec } from './zipFiles.ts';

type ModuleCase = {
  name: string;
  path: string;
  version: string;
  /** Entries relative to "path@version/"; a name ending in "/" is a directory entry. */
  entries: Array<Omit<ZipEntrySpec, 'name'> & { name: string }>;
  /** The .mod the proxy serves; by default the zip's go.mod. */
  mod?: string;
};

const goModOf = (path: string) => `module ${path}\n\ngo 1.21\n`;

const cases: ModuleCase[] = [
  {
    name: 'a plain module: go.mod, LICENSE, a subdirectory, an empty and a large file',
    path: 'example.com/simple',
    version: 'v1.0.0',
    entries: [
      { name: 'go.mod', data: goModOf('example.com/simple') },
      { name: 'LICENSE', data: 'Copyright 2024 The Authors.\nAll rights reserved.\n' },
      { name: 'a.go', data: 'package simple\n\nconst A = 1\n' },
      { name: 'sub/b.go', data: 'package sub\n' },
      { name: 'empty.txt', data: '' },
      { name: 'data.bin', data: randomBytes(700_000) },
    ],
  },
  {
    name: 'upper case in the module path (escaped on the wire, not in the zip) and names sorted by UTF-8 bytes',
    path: 'example.com/Mixed/Case',
    version: 'v1.0.0',
    entries: [
      { name: 'go.mod', data: goModOf('example.com/Mixed/Case') },
      { name: 'Upper.go', data: 'package mixed\n' },
      { name: 'lower.go', data: 'package mixed\n' },
      { name: 'é.go', data: 'package mixed\n\n// é\n' },
      // Letters only: the go command allows no other non-ASCII characters in file names.
      // U+20000 is above U+FFFF, U+FF71 within U+E000–U+FFFF: UTF-8 and UTF-16 order them differently.
      { name: '\u{20000}.txt', data: 'above U+FFFF\n' },
      { name: '\uff71.txt', data: 'below U+FFFF\n' },
      { name: '\u{10400}.txt', data: 'DESERET CAPITAL LETTER LONG I\n' },
      { name: 'a b+c,d=e.txt', data: 'punctuation\n', compress: false },
      { name: 'LICENSE', data: 'MIT\n', compress: false },
    ],
  },
  {
    name: 'directory entries, the module@version/ entry itself, stored files (all in the hash)',
    path: 'example.com/dirs',
    version: 'v1.0.0',
    entries: [
      { name: '' },
      { name: 'go.mod', data: goModOf('example.com/dirs') },
      { name: 'dir/' },
      { name: 'dir/x.go', data: 'package dir\n', compress: false },
      { name: 'dir/nested/' },
    ],
  },
  {
    name: 'no go.mod in the zip (the proxy serves a synthesized .mod)',
    path: 'example.com/nogomod',
    version: 'v1.0.0',
    entries: [{ name: 'x.go', data: 'package nogomod\n' }],
    mod: 'module example.com/nogomod\n',
  },
  {
    name: 'a /v2 module',
    path: 'example.com/major/v2',
    version: 'v2.0.0',
    entries: [
      { name: 'go.mod', data: goModOf('example.com/major/v2') },
      { name: 'major.go', data: 'package major\n' },
    ],
  },
];

/** serveModule lays out one module version as a GOPROXY file tree under root. */
async function serveModule(root: string, c: ModuleCase): Promise<{ zipPath: string; mod: Buffer }> {
  const prefix = `${c.path}@${c.version}/`;
  const zip = await zipBytes(c.entries.map((e) => ({ ...e, name: prefix + e.name })));
  const goModEntry = c.entries.find((e) => e.name === 'go.mod');
  const mod = Buffer.from(c.mod ?? (goModEntry?.data as string));
  const dir = join(root, escapePath(c.path), '@v');
  const v = escapeVersion(c.version);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'list'), `${c.version}\n`);
  await writeFile(join(dir, `${v}.info`), JSON.stringify({ Version: c.version, Time: '2024-01-01T00:00:00Z' }));
  await writeFile(join(dir, `${v}.mod`), mod);
  const zipPath = join(dir, `${v}.zip`);
  await writeFile(zipPath, zip);
  return { zipPath, mod };
}

type DownloadJson = { Path: string; Version: string; Sum?: string; GoModSum?: string; Error?: string };

describe('h1 hashes agree with the go command', () => {
  it.each(cases)('$name', async (c) => {
    await withTempDir(async (root) => {
      const proxyDir = join(root, 'proxy');
      const { zipPath, mod } = await serveModule(proxyDir, c);
      const summary = await checkZipFile(zipPath, { path: c.path, version: c.version });

      const env = goEnv({ home: root, goproxy: pathToFileURL(proxyDir).href });
      const work = join(root, 'work');
      await mkdir(work);
      const go = await runGo(['mod', 'download', '-json', `${c.path}@${c.version}`], { cwd: work, env, allowFailure: true });
      expect(go.code, `go mod download failed:\n${go.stdout}\n${go.stderr}`).toBe(0);
      const download = JSON.parse(go.stdout) as DownloadJson;
      expect(download.Error).toBeUndefined();

      expect(summary.hash).toBe(download.Sum);
      expect(hashGoMod(mod)).toBe(download.GoModSum);
      const zipHash = await readFile(
        join(env['GOMODCACHE'] ?? '', 'cache', 'download', escapePath(c.path), '@v', `${escapeVersion(c.version)}.ziphash`),
        'utf8',
      );
      expect(zipHash.trim()).toBe(summary.hash);

      const goModEntry = c.entries.find((e) => e.name === 'go.mod');
      expect(summary.goMod === null ? null : Buffer.from(summary.goMod)).toEqual(
        goModEntry === undefined ? null : Buffer.from(goModEntry.data as string),
      );
      expect(summary.files).toBe(c.entries.filter((e) => e.data !== undefined).length);
    });
  });
});

type RefusedCase = { name: string; entries: ZipEntrySpec[]; patch?: (zip: Buffer) => Buffer };

const M = 'example.com/refused';
const P = `${M}@v1.0.0/`;
const refusedGoMod = goModOf(M);

const refused: RefusedCase[] = [
  { name: 'an entry outside the prefix', entries: [{ name: `${P}go.mod`, data: refusedGoMod }, { name: 'x/a.go', data: 'package x\n' }] },
  { name: 'a go.mod in a subdirectory', entries: [{ name: `${P}go.mod`, data: refusedGoMod }, { name: `${P}sub/go.mod`, data: 'module x\n' }] },
  { name: 'a root GO.MOD', entries: [{ name: `${P}GO.MOD`, data: refusedGoMod }] },
  { name: 'a case-fold collision', entries: [{ name: `${P}a.go`, data: 'package a\n' }, { name: `${P}A.go`, data: 'package a\n' }] },
  {
    name: 'a case-fold collision through U+212A KELVIN SIGN',
    entries: [{ name: `${P}k.go`, data: 'package a\n' }, { name: `${P}\u212a.go`, data: 'package a\n' }],
  },
  { name: 'a file that is also a directory', entries: [{ name: `${P}a`, data: 'x' }, { name: `${P}a/b.go`, data: 'package b\n' }] },
  { name: 'a shell character in a name', entries: [{ name: `${P}a?.go`, data: 'package a\n' }] },
  {
    name: 'a declared size smaller than the content',
    entries: [{ name: `${P}a.go`, data: 'package a\n'.repeat(20) }],
    patch: (zip) => setDeclaredSize(zip, `${P}a.go`, 10),
  },
  {
    name: 'a CRC-32 that does not match',
    entries: [{ name: `${P}a.go`, data: 'package a\n' }],
    patch: (zip) => setCrc32(zip, `${P}a.go`, 1),
  },
  {
    name: 'a name that is not UTF-8',
    entries: [{ name: `${P}aXY.go`, data: 'package a\n' }],
    patch: (zip) => replaceBytes(zip, 'aXY.go', Buffer.from([0x61, 0xc3, 0x28, 0x2e, 0x67, 0x6f])),
  },
];

describe('zips the go command refuses are refused here too', () => {
  it.each(refused)('$name', async ({ entries, patch }) => {
    await withTempDir(async (root) => {
      const proxyDir = join(root, 'proxy');
      const dir = join(proxyDir, escapePath(M), '@v');
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'list'), 'v1.0.0\n');
      await writeFile(join(dir, 'v1.0.0.info'), JSON.stringify({ Version: 'v1.0.0', Time: '2024-01-01T00:00:00Z' }));
      await writeFile(join(dir, 'v1.0.0.mod'), refusedGoMod);
      let zip = await zipBytes(entries);
      if (patch !== undefined) zip = patch(zip);
      const zipPath = join(dir, 'v1.0.0.zip');
      await writeFile(zipPath, zip);

      await expect(checkZipFile(zipPath, { path: M, version: 'v1.0.0' })).rejects.toBeInstanceOf(ZipCheckError);

      const env = goEnv({ home: root, goproxy: pathToFileURL(proxyDir).href });
      const work = join(root, 'work');
      await mkdir(work);
      const go = await runGo(['mod', 'download', '-json', `${M}@v1.0.0`], { cwd: work, env, allowFailure: true });
      expect(go.code, `go accepted the zip:\n${go.stdout}`).not.toBe(0);
    });
  });
});
