// createModuleZip builds module zips by the rules of golang.org/x/mod/zip:
//   - tables of the rules: which files go in, which are left out and why, which trees are refused;
//   - round trips: checkZipFile (and x/mod's own CheckZip and Unzip) accept every zip built, with
//     the same h1: hash;
//   - agreement with the go command: for a set of repositories served by the test git server on
//     127.0.0.1, `go mod download -json` with GOPROXY=direct builds each module itself, and its Sum
//     and files must be those of createModuleZip over the same commit read with git ls-tree and
//     git cat-file;
//   - agreement with x/mod's CreateFromDir (the copy the go command vendors, see xmodOracle.ts) for
//     trees read from a directory, and for the many ways a go.mod can state its go version.

import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, test } from 'vitest';
import yauzl from 'yauzl';
import { checkZipFile, createModuleZip, withRootLicense, ZipCheckError } from '../../../proxy/modzip/index.ts';
import type { CreateZipOptions, CreateZipResult, SourceFile, ZipLimits } from '../../../proxy/modzip/index.ts';
import { goModDownloadJson, makeGoHome, makeTempDir, removeTempDir } from '../../fixtures/goCommand.ts';
import type { GoHome, GoModDownload } from '../../fixtures/goCommand.ts';
import { gitEnvExtra } from '../../fixtures/gitRepos.ts';
import { startGitServer, writeGitConfig } from '../../fixtures/gitServer.ts';
import type { GitServer } from '../../fixtures/gitServer.ts';
import { cloneBare, commitTree, rootLicenseFromGit, sourceFilesFromDirectory, sourceFilesFromGit, writeTree } from './gitTrees.ts';
import type { TreeSpec } from './gitTrees.ts';
import { buildXmodOracle, runXmodOracle } from './xmodOracle.ts';
import type { OracleJob, OracleResult } from './xmodOracle.ts';
import { withTempDir } from './zipFiles.ts';

const mod = { path: 'example.com/m', version: 'v1.0.0' };
const goMod = (go: string) => `module example.com/m\n\ngo ${go}\n`;

// ---------------------------------------------------------------------------------------------
// In-memory trees

type FileSpec =
  | [path: string, content: string]
  | { path: string; kind: SourceFile['kind']; content?: string | Uint8Array; size?: number; stream?: boolean };

/** A SourceFile whose open() is counted (opens[path]) and gives a buffer or, if asked, a stream. */
function sourceFile(spec: FileSpec, opens: Map<string, number>): SourceFile {
  const s = Array.isArray(spec) ? { path: spec[0], kind: 'file' as const, content: spec[1] } : spec;
  const data = typeof s.content === 'string' ? Buffer.from(s.content, 'utf8') : Buffer.from(s.content ?? '');
  return {
    path: s.path,
    kind: s.kind,
    size: s.size ?? data.length,
    open: async () => {
      opens.set(s.path, (opens.get(s.path) ?? 0) + 1);
      // Odd chunk sizes: tiny ones for small content, a little over 64 KiB for large.
      return s.stream === true ? Readable.from(chunks(data, data.length < 4096 ? 7 : 65_539)) : new Uint8Array(data);
    },
  };
}

function chunks(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, i + size));
  return out;
}

/** The entry names of a zip, in zip order. */
async function zipEntryNames(zipPath: string): Promise<string[]> {
  const zip = await yauzl.openPromise(zipPath, { lazyEntries: true });
  const names: string[] = [];
  for await (const entry of zip.eachEntry()) names.push(entry.fileName);
  zip.close();
  return names;
}

type Built = { result: CreateZipResult; names: string[]; opens: Map<string, number>; zipPath: string };

async function build(files: FileSpec[], options?: CreateZipOptions, m = mod): Promise<Built> {
  const opens = new Map<string, number>();
  return withTempDir(async (dir) => {
    const zipPath = join(dir, 'm.zip');
    const result = await createModuleZip(zipPath, m, files.map((f) => sourceFile(f, opens)), options);
    const prefix = `${m.path}@${m.version}/`;
    const names = (await zipEntryNames(zipPath)).map((n) => (n.startsWith(prefix) ? n.slice(prefix.length) : `!${n}`));
    return { result, names, opens, zipPath };
  });
}

async function buildError(files: FileSpec[], options?: CreateZipOptions, m = mod): Promise<ZipCheckError> {
  return withTempDir(async (dir) => {
    const zipPath = join(dir, 'm.zip');
    try {
      await createModuleZip(zipPath, m, files.map((f) => sourceFile(f, new Map())), options);
    } catch (err) {
      expect(err).toBeInstanceOf(ZipCheckError);
      // Nothing is left behind.
      await expect(stat(zipPath)).rejects.toThrow(/ENOENT/);
      return err as ZipCheckError;
    }
    throw new Error('the tree was accepted');
  });
}

const symlink = (path: string): FileSpec => ({ path, kind: 'symlink', content: 'target' });
const directory = (path: string): FileSpec => ({ path, kind: 'directory' });
const submodule = (path: string): FileSpec => ({ path, kind: 'submodule' });

type RuleCase = {
  name: string;
  files: FileSpec[];
  options?: CreateZipOptions;
  /** The zip's files, in zip order (UTF-8 byte order of the paths). */
  included: string[];
  /** Files left out, with the reason. */
  omitted?: Record<string, RegExp>;
};

const vendorTree = (goModText: string | null): FileSpec[] => [
  ...(goModText === null ? [] : [['go.mod', goModText] as FileSpec]),
  ['a.go', 'package m\n'],
  ['vendor/modules.txt', '# example.com/dep v1.0.0\n'],
  ['vendor/top.go', 'package vendor\n'],
  ['vendor/example.com/dep/dep.go', 'package dep\n'],
  ['pkg/vendor/vendor.go', 'package vendor\n'],
  ['pkg/vendor/x/x.go', 'package x\n'],
  ['vendored/a.go', 'package vendored\n'],
];
const oldVendorRule = { 'vendor/example.com/dep/dep.go': /vendor directory/, 'pkg/vendor/vendor.go': /vendor directory/, 'pkg/vendor/x/x.go': /vendor directory/ };
const newVendorRule = { ...oldVendorRule, 'vendor/modules.txt': /vendor directory/ };
delete (newVendorRule as Record<string, RegExp>)['pkg/vendor/vendor.go'];

const ruleCases: RuleCase[] = [
  {
    name: 'every regular file goes in, in UTF-8 byte order; directories give no entries',
    files: [
      ['go.mod', goMod('1.21')],
      ['b.go', 'package m\n'],
      directory('a'),
      ['a/c.go', 'package a\n'],
      ['\uff71.txt', 'U+FF71\n'],
      ['\u{20000}.txt', 'U+20000\n'],
      ['Z.go', 'package m\n'],
      ['empty', ''],
    ],
    included: ['Z.go', 'a/c.go', 'b.go', 'empty', 'go.mod', '\uff71.txt', '\u{20000}.txt'],
    omitted: { a: /directory/ },
  },
  {
    name: 'symbolic links are left out',
    files: [['a.go', 'package m\n'], symlink('link.go'), symlink('linkdir')],
    included: ['a.go'],
    omitted: { 'link.go': /symbolic link/, linkdir: /symbolic link/ },
  },
  {
    name: 'git submodules are left out',
    files: [['a.go', 'package m\n'], submodule('ext'), submodule('third_party/lib')],
    included: ['a.go'],
    omitted: { ext: /submodule/, 'third_party/lib': /submodule/ },
  },
  {
    name: 'a nested module and everything below it are left out; a go.mod in any case starts one',
    files: [
      ['go.mod', goMod('1.21')],
      ['nested/go.mod', 'module example.com/m/nested\n'],
      ['nested/n.go', 'package nested\n'],
      ['nested/deep/d.go', 'package deep\n'],
      ['nestedish/x.go', 'package nestedish\n'],
      ['other/GO.MOD', 'module example.com/m/other\n'],
      ['other/o.go', 'package other\n'],
    ],
    included: ['go.mod', 'nestedish/x.go'],
    omitted: {
      'nested/go.mod': /another module/,
      'nested/n.go': /another module/,
      'nested/deep/d.go': /another module/,
      'other/GO.MOD': /another module/,
      'other/o.go': /another module/,
    },
  },
  {
    name: 'in a repository, a go.mod that is a symbolic link starts no nested module',
    files: [symlink('sub/go.mod'), ['sub/s.go', 'package sub\n']],
    included: ['sub/s.go'],
    omitted: { 'sub/go.mod': /symbolic link/ },
  },
  {
    name: 'names that are not valid do not matter in vendored packages and nested modules',
    files: [
      ['go.mod', goMod('1.21')],
      ['vendor/example.com/dep/bad?.go', 'package dep\n'],
      ['nested/go.mod', 'module example.com/m/nested\n'],
      ['nested/bad?.go', 'package nested\n'],
      ['nested/A.go', 'package nested\n'],
      ['nested/a.go', 'package nested\n'],
    ],
    included: ['go.mod'],
  },
  {
    name: 'vendor, go 1.13: vendored packages out; vendor/modules.txt in; pkg/vendor/vendor.go out (golang.org/issue/37397)',
    files: vendorTree(goMod('1.13')),
    included: ['a.go', 'go.mod', 'vendor/modules.txt', 'vendor/top.go', 'vendored/a.go'],
    omitted: oldVendorRule,
  },
  {
    name: 'vendor, go 1.24: vendor/modules.txt out too; pkg/vendor/vendor.go in',
    files: vendorTree(goMod('1.24')),
    included: ['a.go', 'go.mod', 'pkg/vendor/vendor.go', 'vendor/top.go', 'vendored/a.go'],
    omitted: newVendorRule,
  },
  {
    name: 'vendor without a go.mod: the old rule',
    files: vendorTree(null),
    included: ['a.go', 'vendor/modules.txt', 'vendor/top.go', 'vendored/a.go'],
    omitted: oldVendorRule,
  },
  {
    name: 'vendor with goVersion given: the rule of that version',
    files: vendorTree(null),
    options: { goVersion: '1.24.2' },
    included: ['a.go', 'pkg/vendor/vendor.go', 'vendor/top.go', 'vendored/a.go'],
    omitted: newVendorRule,
  },
  {
    name: '.hg_archival.txt is left out at the root only',
    files: [['.hg_archival.txt', 'repo: x\n'], ['sub/.hg_archival.txt', 'repo: x\n']],
    included: ['sub/.hg_archival.txt'],
    omitted: { '.hg_archival.txt': /hg archive/ },
  },
  {
    name: 'in a repository, version-control directories are directories like any other',
    files: [['.hg/hgrc', '[paths]\n'], ['.svn/entries', '12\n'], ['.bzr/branch-format', 'x\n'], ['.gitignore', '*.o\n']],
    included: ['.bzr/branch-format', '.gitignore', '.hg/hgrc', '.svn/entries'],
  },
  {
    name: 'in a directory, version-control directories are skipped with everything in them',
    options: { tree: 'directory' },
    files: [
      directory('.git'),
      ['.git/HEAD', 'ref: refs/heads/main\n'],
      ['.git/bad?name', 'x'],
      ['.hg/hgrc', '[paths]\n'],
      ['sub/.svn/entries', '12\n'],
      ['.gitignore', '*.o\n'],
      ['a.go', 'package m\n'],
    ],
    included: ['.gitignore', 'a.go'],
    omitted: {
      '.git': /version control/,
      '.git/HEAD': /version control/,
      '.git/bad?name': /version control/,
      '.hg/hgrc': /version control/,
      'sub/.svn/entries': /version control/,
    },
  },
  {
    name: 'in a directory, a go.mod that is a symbolic link starts a nested module; links are left out unchecked',
    options: { tree: 'directory' },
    files: [symlink('sub/go.mod'), ['sub/s.go', 'package sub\n'], symlink('bad?link'), ['a.go', 'package m\n'], symlink('A.go')],
    included: ['a.go'],
    omitted: { 'sub/go.mod': /another module/, 'sub/s.go': /another module/, 'bad?link': /not a regular file/, 'A.go': /not a regular file/ },
  },
  {
    name: 'a LICENSE in a sub-directory is not held to the LICENSE limit; files just within the limits',
    options: { limits: { maxLicenseBytes: 10, maxGoModBytes: 30, maxUncompressedBytes: 70 } },
    files: [['go.mod', goMod('1.21')], ['LICENSE', 'x'.repeat(10)], ['sub/LICENSE', 'x'.repeat(30)]],
    included: ['LICENSE', 'go.mod', 'sub/LICENSE'],
  },
];

describe('which files go in the zip', () => {
  it.each(ruleCases)('$name', async (c) => {
    const { result, names, opens } = await build(c.files, c.options);
    expect(names).toEqual(c.included);
    expect(result.files).toBe(c.included.length);
    const omitted = Object.fromEntries(result.omitted.map((o) => [o.path, o.reason]));
    for (const [path, reason] of Object.entries(c.omitted ?? {})) expect(omitted[path], path).toMatch(reason);
    // Every path is in exactly one list.
    const listed = c.files.map((f) => (Array.isArray(f) ? f[0] : f.path));
    expect([...c.included, ...result.omitted.map((o) => o.path)].sort()).toEqual([...listed].sort());
    // Only files that go in are opened, each once.
    expect([...opens.keys()].sort()).toEqual([...c.included].sort());
    expect([...opens.values()].every((n) => n === 1)).toBe(true);
  });

  it('returns the root go.mod', async () => {
    const { result } = await build([['go.mod', goMod('1.22')], ['a.go', 'package m\n']]);
    expect(Buffer.from(result.goMod ?? new Uint8Array()).toString()).toBe(goMod('1.22'));
    expect((await build([['a.go', 'package m\n']])).result.goMod).toBeNull();
  });

  it('streams content given as a stream', async () => {
    const big = randomBytes(3 << 20);
    const { result, names } = await build([
      { path: 'big.bin', kind: 'file', content: big, stream: true },
      { path: 'go.mod', kind: 'file', content: goMod('1.21'), stream: true },
    ]);
    expect(names).toEqual(['big.bin', 'go.mod']);
    expect(result.goMod).not.toBeNull();
  });
});

type ErrorCase = { name: string; files: FileSpec[]; limits?: Partial<ZipLimits>; mod?: typeof mod; error: RegExp };

const errorCases: ErrorCase[] = [
  { name: 'a case-fold collision', files: [['a.go', ''], ['A.go', '']], error: /file "A\.go": case-insensitive file name collision: "a\.go" and "A\.go"/ },
  {
    name: 'a case-fold collision between directories',
    files: [['Dir/a.go', ''], ['dir/b.go', '']],
    error: /file "dir\/b\.go": case-insensitive file name collision: "Dir" and "dir"/,
  },
  { name: 'a case-fold collision through U+212A KELVIN SIGN', files: [['k.go', ''], ['\u212a.go', '']], error: /case-insensitive file name collision/ },
  { name: 'a symbolic link that collides with a file (checked before links are left out)', files: [['a.go', ''], symlink('A.go')], error: /collision/ },
  { name: 'a path listed twice', files: [['a.go', ''], ['a.go', '']], error: /multiple entries for file "a\.go"/ },
  { name: 'a file that is also a directory', files: [['a', ''], ['a/b.go', '']], error: /"a" is both a file and a directory/ },
  { name: 'a name with a character Go does not allow', files: [['a?.go', '']], error: /file "a\?\.go": malformed file path "a\?\.go": invalid char '\?'/ },
  { name: 'a symbolic link with such a name', files: [symlink('a?.go')], error: /file "a\?\.go": malformed file path/ },
  { name: 'a path that is not clean', files: [['a//b.go', ''], ['./c.go', ''], ['d/../e.go', '']], error: /3 problems.*"a\/\/b\.go": file path is not clean.*"\.\/c\.go": file path is not clean.*"d\/\.\.\/e\.go": file path is not clean/ },
  { name: 'an absolute path', files: [['/a.go', '']], error: /file "\/a\.go": file path is not relative/ },
  { name: 'an empty path', files: [['', '']], error: /file "": file path is not clean/ },
  { name: 'a root go.mod not in lower case', files: [['GO.MOD', 'module example.com/m\n']], error: /file "GO\.MOD": go\.mod files must have lowercase names/ },
  { name: 'a go.mod over its limit', files: [['go.mod', goMod('1.21')]], limits: { maxGoModBytes: 10 }, error: /file "go\.mod": go\.mod file too large: 30 bytes > 10 bytes/ },
  { name: 'a LICENSE over its limit', files: [['LICENSE', 'x'.repeat(11)]], limits: { maxLicenseBytes: 10 }, error: /file "LICENSE": LICENSE file too large/ },
  {
    name: 'files that add up to more than the limit',
    files: [['a', 'x'.repeat(60)], ['b', 'x'.repeat(60)]],
    limits: { maxUncompressedBytes: 100 },
    error: /module source tree too large: the files add up to more than 100 bytes \(at file "b"\)/,
  },
  { name: 'a zip over its limit', files: [{ path: 'r', kind: 'file', content: randomBytes(1000) }], limits: { maxZipBytes: 900 }, error: /module zip too large: more than 900 bytes/ },
  { name: 'content larger than declared', files: [{ path: 'a.go', kind: 'file', content: 'package m\n', size: 5 }], error: /file "a\.go": larger than its declared size \(5 bytes\)/ },
  {
    name: 'streamed content larger than declared',
    files: [{ path: 'a.go', kind: 'file', content: 'package m\n', size: 5, stream: true }],
    error: /larger than its declared size/,
  },
  { name: 'content smaller than declared', files: [{ path: 'a.go', kind: 'file', content: 'package m\n', size: 50, stream: true }], error: /10 bytes, less than its declared size \(50 bytes\)/ },
  { name: 'a go.mod smaller than declared', files: [{ path: 'go.mod', kind: 'file', content: goMod('1.21'), size: 50 }], error: /file "go\.mod": 30 bytes, less than its declared size/ },
  { name: 'a version that is not canonical', files: [['a.go', '']], mod: { path: 'example.com/m', version: 'v1.0' }, error: /version "v1\.0" is not canonical \(should be "v1\.0\.0"\)/ },
  { name: 'a major version the path does not carry', files: [['a.go', '']], mod: { path: 'example.com/m', version: 'v2.0.0' }, error: /cannot create zip/ },
];

describe('trees that make no module zip', () => {
  it.each(errorCases)('$name', async (c) => {
    const err = await buildError(c.files, c.limits === undefined ? undefined : { limits: c.limits }, c.mod);
    expect(err.message).toMatch(c.error);
  });

  it('lists every file at fault, and the size first', async () => {
    const err = await buildError([['a?.go', ''], ['b', 'x'.repeat(20)], ['GO.MOD', '']], { limits: { maxUncompressedBytes: 10 } });
    expect(err.problems).toHaveLength(3);
    expect(err.problems[0]).toMatch(/too large/);
  });
});

describe('withRootLicense', () => {
  const license: SourceFile = { path: 'LICENSE', kind: 'file', size: 3, open: async () => new Uint8Array([1, 2, 3]) };
  const file = (path: string, kind: SourceFile['kind'] = 'file'): SourceFile => ({ path, kind, size: 0, open: async () => new Uint8Array() });

  it.each([
    { name: 'adds the root LICENSE to a module without one', files: [file('a.go')], added: true },
    { name: 'keeps the module its own LICENSE', files: [file('LICENSE')], added: false },
    { name: 'a LICENSE that is a symbolic link counts as its own (and is then left out)', files: [file('LICENSE', 'symlink')], added: false },
    { name: 'a LICENSE deeper down does not count', files: [file('sub/LICENSE'), file('license')], added: true },
    { name: 'a LICENSE directory does not count', files: [file('LICENSE', 'directory')], added: true },
  ])('$name', ({ files, added }) => {
    const out = withRootLicense(files, license);
    expect(out.length - files.length).toBe(added ? 1 : 0);
    if (added) expect(out.at(-1)).toMatchObject({ path: 'LICENSE', kind: 'file', size: 3 });
  });

  it('adds nothing when the root has no LICENSE', () => {
    expect(withRootLicense([file('a.go')], null)).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------------------------
// Round trips

type RoundTrip = {
  name: string;
  files: () => FileSpec[];
  m?: typeof mod;
  /**
   * So many files that only x/mod's CheckZip and HashZip read the zip: checkZipFile, and x/mod's
   * Unzip into a directory, take the better part of a minute for them.
   */
  many?: boolean;
};

const roundTrips: RoundTrip[] = [
  {
    name: 'a module with go.mod, LICENSE, sub-directories, an empty and a large streamed file',
    files: () => [
      ['go.mod', goMod('1.21')],
      ['LICENSE', 'Copyright\n'],
      ['a.go', 'package m\n'],
      ['sub/deeper/b.go', 'package deeper\n'],
      ['empty', ''],
      { path: 'data.bin', kind: 'file', content: randomBytes(5 << 20), stream: true },
    ],
  },
  {
    name: 'non-ASCII names and an upper-case module path',
    m: { path: 'example.com/Upper/Case', version: 'v1.2.3' },
    files: () => [
      ['é.go', 'package m\n'],
      ['日本/語.go', 'package 日本\n'],
      ['\u{10400}.txt', 'DESERET\n'],
      ['Ünïcödé/ok.txt', 'ok\n'],
    ],
  },
  {
    name: '65600 files (zip64 end records: more than 65535 entries)',
    files: () => Array.from({ length: 65_600 }, (_, i): FileSpec => [`d${i % 100}/f${i}.txt`, `${i}\n`]),
    many: true,
  },
];

describe('zips built pass checkZipFile and x/mod with the same hash', () => {
  let oracle: string;
  beforeAll(async () => {
    oracle = await buildXmodOracle();
  });

  it.each(roundTrips)('$name', async ({ files, m = mod, many }) => {
    const specs = files();
    await withTempDir(async (dir) => {
      const zipPath = join(dir, 'm.zip');
      const result = await createModuleZip(zipPath, m, specs.map((f) => sourceFile(f, new Map())));
      expect(result.files).toBe(specs.length);
      expect(result.zipBytes).toBe((await stat(zipPath)).size);
      if (many !== true) {
        const summary = await checkZipFile(zipPath, m);
        expect(summary.hash).toBe(result.hash);
        expect(summary.files).toBe(result.files);
        expect(summary.zipBytes).toBe(result.zipBytes);
        expect(summary.goMod).toEqual(result.goMod);
      }

      const [xmod] = await runXmodOracle(oracle, [{ op: 'check', module: m.path, version: m.version, zip: zipPath, unzip: many !== true }]);
      expect(xmod?.error).toBeUndefined();
      expect(xmod?.hash).toBe(result.hash);
      expect(xmod?.files).toHaveLength(specs.length);

      if (many === true) return;
      // The same files give the same bytes.
      const again = join(dir, 'again.zip');
      await createModuleZip(again, m, specs.map((f) => sourceFile(f, new Map())));
      expect((await readFile(again)).equals(await readFile(zipPath))).toBe(true);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Agreement with the go command: GOPROXY=direct against the test git server

const owner = 'acme';

type RepoModule = {
  /** Sub-directory of the repository ('' for the root). */
  subdir: string;
  version: string;
  /** Default: github.com/acme/<repo>[/<subdir>]. */
  path?: string;
  /** Default: <subdir>/<version>, or <version> at the root. */
  tag?: string;
};

type RepoCase = {
  name: string;
  /** Module github.com/acme/<repo>, repository acme-<repo>. */
  repo: string;
  tree: TreeSpec;
  modules: RepoModule[];
  /** The go command and createModuleZip both refuse the zip with a message matching this. */
  error?: RegExp;
};

const gomod = (path: string, go = '1.21') => `module ${path}\n\ngo ${go}\n`;
const gh = (repo: string) => `github.com/${owner}/${repo}`;
const vendorFiles = {
  'a.go': 'package m\n',
  'vendor/modules.txt': '# example.com/dep v1.0.0\n## explicit\nexample.com/dep\n',
  'vendor/top.go': 'package vendor\n',
  'vendor/example.com/dep/dep.go': 'package dep\n',
  'pkg/vendor/vendor.go': 'package vendor\n',
  'pkg/vendor/x/x.go': 'package x\n',
};

const repoCases: RepoCase[] = [
  {
    name: 'a plain module: go.mod, LICENSE, sub-directories, an empty file, 3 MiB of random bytes',
    repo: 'plain',
    tree: {
      'go.mod': gomod(gh('plain')),
      LICENSE: 'Copyright 2024 Acme\n',
      'a.go': 'package plain\n',
      'sub/b.go': 'package sub\n',
      'sub/deeper/c.go': 'package deeper\n',
      'empty.txt': '',
      'data.bin': randomBytes(3 << 20),
      'README.md': '# plain\n',
    },
    modules: [{ subdir: '', version: 'v1.0.0' }],
  },
  {
    name: 'upper case in the module path and in file names',
    repo: 'UpperCase',
    tree: { 'go.mod': gomod(gh('UpperCase')), 'Foo.go': 'package upper\n', 'Dir/Bar.go': 'package dir\n' },
    modules: [{ subdir: '', version: 'v1.0.0' }],
  },
  {
    name: 'non-ASCII file names',
    repo: 'unicode',
    tree: {
      'go.mod': gomod(gh('unicode')),
      'é.go': 'package unicode\n',
      '日本/語.go': 'package 日本\n',
      '\u{20000}.txt': 'above U+FFFF\n',
      '\uff71.txt': 'below U+FFFF\n',
      'Ünïcödé/ok.txt': 'ok\n',
    },
    modules: [{ subdir: '', version: 'v1.0.0' }],
  },
  {
    name: 'a vendor directory with go 1.13 and with go 1.24 (the vendor rule changed at 1.24)',
    repo: 'vendor',
    tree: {
      'go.mod': gomod(gh('vendor'), '1.13'),
      ...vendorFiles,
      'new/go.mod': gomod(gh('vendor/new'), '1.24'),
      ...Object.fromEntries(Object.entries(vendorFiles).map(([p, c]) => [`new/${p}`, c])),
      'newrc/go.mod': `// comment\nmodule ${gh('vendor/newrc')}\n\ngo 1.24rc1\n\ntoolchain go1.24.0\n\nrequire (\n\texample.com/dep v1.0.0 // indirect\n)\n`,
      ...Object.fromEntries(Object.entries(vendorFiles).map(([p, c]) => [`newrc/${p}`, c])),
    },
    modules: [
      { subdir: '', version: 'v1.0.0' },
      { subdir: 'new', version: 'v1.0.0' },
      { subdir: 'newrc', version: 'v1.0.0' },
    ],
  },
  {
    name: 'nested modules (go.mod in any case) and a nested module of its own',
    repo: 'nested',
    tree: {
      'go.mod': gomod(gh('nested')),
      'a.go': 'package nested\n',
      'inner/go.mod': gomod(gh('nested/inner')),
      'inner/i.go': 'package inner\n',
      'inner/deep/d.go': 'package deep\n',
      'innerish/x.go': 'package innerish\n',
      'other/GO.MOD': 'module example.com/other\n',
      'other/o.go': 'package other\n',
    },
    modules: [
      { subdir: '', version: 'v1.0.0' },
      { subdir: 'inner', version: 'v1.0.0' },
    ],
  },
  {
    name: 'the root LICENSE in sub-directory modules without one (also /v2), not in those with one',
    repo: 'mono',
    tree: {
      LICENSE: 'Root license\n',
      'README.md': 'monorepo\n',
      'sub/go.mod': gomod(gh('mono/sub')),
      'sub/s.go': 'package sub\n',
      'own/go.mod': gomod(gh('mono/own')),
      'own/LICENSE': 'Own license\n',
      'own/o.go': 'package own\n',
      'linked/go.mod': gomod(gh('mono/linked')),
      'linked/LICENSE': { symlink: '../LICENSE' },
      'linked/l.go': 'package linked\n',
      'v2/go.mod': gomod(`${gh('mono')}/v2`),
      'v2/m.go': 'package mono\n',
    },
    modules: [
      { subdir: 'sub', version: 'v1.0.0' },
      { subdir: 'own', version: 'v1.0.0' },
      { subdir: 'linked', version: 'v1.0.0' },
      { subdir: 'v2', version: 'v2.0.0', path: `${gh('mono')}/v2`, tag: 'v2.0.0' },
    ],
  },
  {
    name: 'a sub-directory module when the root LICENSE is a symbolic link (its target text is copied)',
    repo: 'linklicense',
    tree: {
      'LICENSE.txt': 'The license\n',
      LICENSE: { symlink: 'LICENSE.txt' },
      'sub/go.mod': gomod(gh('linklicense/sub')),
      'sub/s.go': 'package sub\n',
    },
    modules: [{ subdir: 'sub', version: 'v1.0.0' }],
  },
  {
    name: 'symbolic links to a file and to a directory, a git submodule',
    repo: 'links',
    tree: {
      'go.mod': gomod(gh('links')),
      'a.go': 'package links\n',
      'link.go': { symlink: 'a.go' },
      'sub/s.go': 'package sub\n',
      linkdir: { symlink: 'sub' },
      ext: { submodule: true },
    },
    modules: [{ subdir: '', version: 'v1.0.0' }],
  },
  {
    name: 'tracked .hg, .svn and .bzr directories, .hg_archival.txt, and .gitattributes export rules (which the go command turns off)',
    repo: 'vcsdirs',
    tree: {
      'go.mod': gomod(gh('vcsdirs')),
      '.hg/hgrc': '[paths]\n',
      '.svn/entries': '12\n',
      '.bzr/branch-format': 'Bazaar-NG meta directory, format 1\n',
      '.hg_archival.txt': 'repo: 0000\n',
      'sub/.hg_archival.txt': 'repo: 0000\n',
      '.gitignore': '*.o\n',
      '.gitattributes': 'ignored.txt export-ignore\nsubst.txt export-subst\n',
      'ignored.txt': 'still here\n',
      'subst.txt': 'commit $Format:%H$\n',
    },
    modules: [{ subdir: '', version: 'v1.0.0' }],
  },
  {
    name: 'a case-fold collision',
    repo: 'collision',
    tree: { 'go.mod': gomod(gh('collision')), 'README.md': 'a\n', 'readme.md': 'b\n' },
    modules: [{ subdir: '', version: 'v1.0.0' }],
    error: /case-insensitive file name collision/,
  },
  {
    name: 'a file name Go does not allow',
    repo: 'badname',
    tree: { 'go.mod': gomod(gh('badname')), 'a:b.txt': 'x\n' },
    modules: [{ subdir: '', version: 'v1.0.0' }],
    error: /malformed file path "a:b\.txt"/,
  },
];

type RepoModuleRun = { repoCase: RepoCase; module: RepoModule & { path: string; tag: string }; query: string };

const repoRuns: RepoModuleRun[] = repoCases.flatMap((repoCase) =>
  repoCase.modules.map((m) => {
    const path = m.path ?? (m.subdir === '' ? gh(repoCase.repo) : `${gh(repoCase.repo)}/${m.subdir}`);
    const tag = m.tag ?? (m.subdir === '' ? m.version : `${m.subdir}/${m.version}`);
    return { repoCase, module: { ...m, path, tag }, query: `${path}@${m.version}` };
  }),
);

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => !e.isDirectory()).map((e) => relative(dir, join(e.parentPath, e.name)).split('\\').join('/'));
}

/** UTF-8 byte order, the order of the zip's entries. */
const byUtf8 = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

describe('agreement with the go command (GOPROXY=direct from the test git server)', () => {
  let root: string;
  let work: string;
  let server: GitServer;
  let home: GoHome;
  const answers = new Map<string, GoModDownload>();

  beforeAll(async () => {
    root = await makeTempDir('gomodproxy-createzip-git-');
    work = await makeTempDir('gomodproxy-createzip-work-');
    for (const c of repoCases) {
      const tags = c.modules.map((m) => m.tag ?? (m.subdir === '' ? m.version : `${m.subdir}/${m.version}`));
      await commitTree(join(work, c.repo), c.tree, tags);
      await cloneBare(join(work, c.repo), join(root, `${owner}-${c.repo}.git`));
    }
    server = await startGitServer(root);
    home = await makeGoHome({ goproxy: 'direct', allowDirect: true, extra: gitEnvExtra(owner) });
    await writeGitConfig(home.home, server.url);
    const queue = repoCases.map((c) => repoRuns.filter((r) => r.repoCase === c).map((r) => r.query));
    const worker = async () => {
      for (let queries = queue.shift(); queries !== undefined; queries = queue.shift()) {
        const objects = await goModDownloadJson(queries, { env: home.env, timeoutMs: 60_000 });
        for (const object of objects) answers.set(`${object.Path}@${object.Version}`, object);
      }
    };
    await Promise.all([worker(), worker(), worker()]);
  });

  afterAll(async () => {
    await server?.close();
    await home?.dispose();
    if (root !== undefined) await removeTempDir(root);
    if (work !== undefined) await removeTempDir(work);
  });

  test.each(repoRuns)('$repoCase.name: $query', async ({ repoCase, module, query }) => {
    const answer = answers.get(query);
    expect(answer, `no answer from the go command for ${query}`).toBeDefined();
    const bare = join(root, `${owner}-${repoCase.repo}.git`);
    let files = await sourceFilesFromGit(bare, module.tag, module.subdir);
    if (module.subdir !== '') files = withRootLicense(files, await rootLicenseFromGit(bare, module.tag));

    await withTempDir(async (dir) => {
      const build = () => createModuleZip(join(dir, 'm.zip'), { path: module.path, version: module.version }, files);
      if (repoCase.error !== undefined) {
        expect(answer?.Error).toMatch(repoCase.error);
        await expect(build()).rejects.toThrow(repoCase.error);
        return;
      }
      expect(answer?.Error, answer?.Error).toBeUndefined();
      const result = await build();
      expect(result.hash).toBe(answer?.Sum);
      const goFiles = await listFiles(answer?.Dir ?? '');
      expect(goFiles.sort(byUtf8)).toEqual((await zipEntryNames(join(dir, 'm.zip'))).map((n) => n.slice(module.path.length + module.version.length + 2)));
      expect(result.goMod === null ? null : Buffer.from(result.goMod).toString()).toBe(
        goFiles.includes('go.mod') ? await readFile(join(answer?.Dir ?? '', 'go.mod'), 'utf8') : null,
      );
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Agreement with x/mod's CreateFromDir: directories, and the go directive as x/mod reads it

/** go.mod texts and what x/mod makes of their go directive for the vendor rule. */
const goDirectiveCases: Array<{ name: string; goMod: string; modern: boolean }> = [
  { name: 'go 1.24', goMod: 'module example.com/m\n\ngo 1.24\n', modern: true },
  { name: 'go 1.23.4', goMod: 'module example.com/m\n\ngo 1.23.4\n', modern: false },
  { name: 'go 1.24.0', goMod: 'module example.com/m\n\ngo 1.24.0\n', modern: true },
  { name: 'go 1.24rc1', goMod: 'module example.com/m\n\ngo 1.24rc1\n', modern: true },
  { name: 'go 1.25 with toolchain and godebug', goMod: 'module example.com/m\n\ngo 1.25\n\ntoolchain go1.25.1\ngodebug default=go1.21\n', modern: true },
  { name: 'go 1.100 (compared as numbers)', goMod: 'module example.com/m\n\ngo 1.100\n', modern: true },
  { name: 'go 2.0', goMod: 'module example.com/m\n\ngo 2.0\n', modern: true },
  { name: 'go 1.9', goMod: 'module example.com/m\n\ngo 1.9\n', modern: false },
  { name: 'go 1 (no minor version: not a go version)', goMod: 'module example.com/m\n\ngo 1\n', modern: false },
  { name: 'go 1.24.x (laxly read as 1.24)', goMod: 'module example.com/m\n\ngo 1.24.x\n', modern: true },
  { name: 'go 1.24-foo (laxly read as 1.24)', goMod: 'module example.com/m\n\ngo 1.24-foo\n', modern: true },
  { name: 'go v1.24 (refused)', goMod: 'module example.com/m\n\ngo v1.24\n', modern: false },
  { name: 'go 1.24.1rc1 (valid syntax, not a Go version)', goMod: 'module example.com/m\n\ngo 1.24.1rc1\n', modern: false },
  { name: 'go 01.24 (refused)', goMod: 'module example.com/m\n\ngo 01.24\n', modern: false },
  { name: 'a quoted go version (refused)', goMod: 'module example.com/m\n\ngo "1.24"\n', modern: false },
  { name: 'go 1.24 with a comment after it', goMod: 'module example.com/m\ngo 1.24 // the version\n', modern: true },
  { name: 'go 1.24 twice (repeated go statement)', goMod: 'module example.com/m\ngo 1.24\ngo 1.24\n', modern: false },
  { name: 'go with two arguments', goMod: 'module example.com/m\ngo 1.24 1.25\n', modern: false },
  { name: 'no go directive', goMod: 'module example.com/m\n', modern: false },
  { name: 'a go block (not read)', goMod: 'module example.com/m\ngo (\n\t1.24\n)\n', modern: false },
  { name: 'a /* */ comment (syntax error)', goMod: 'module example.com/m\n/* c */\ngo 1.24\n', modern: false },
  { name: 'an unterminated block (syntax error)', goMod: 'module example.com/m\ngo 1.24\nrequire (\n\texample.com/dep v1.0.0\n', modern: false },
  { name: 'text after a closing paren (syntax error)', goMod: 'module example.com/m\ngo 1.24\nrequire (\n\texample.com/dep v1.0.0\n) x\n', modern: false },
  { name: 'a byte-order mark (syntax error)', goMod: '\ufeffmodule example.com/m\ngo 1.24\n', modern: false },
  { name: 'an unterminated string (syntax error)', goMod: 'module "example.com/m\ngo 1.24\n', modern: false },
  { name: 'a require with a shorthand version (canonicalized)', goMod: 'module example.com/m\ngo 1.24\nrequire example.com/dep v1\n', modern: true },
  { name: 'a require with a version that is not one', goMod: 'module example.com/m\ngo 1.24\nrequire example.com/dep v1.2.3.4\n', modern: false },
  { name: 'a require with a quoted path and version', goMod: 'module example.com/m\ngo 1.24\nrequire "example.com/dep" "v1.0.0"\n', modern: true },
  { name: 'a require of a /v2 path at v1', goMod: 'module example.com/m\ngo 1.24\nrequire example.com/dep/v2 v1.0.0\n', modern: false },
  { name: 'a require with a bad quoted string', goMod: 'module example.com/m\ngo 1.24\nrequire "example.com/\\q" v1.0.0\n', modern: false },
  { name: 'a require with an escaped quoted string', goMod: 'module example.com/m\ngo 1.24\nrequire "example.com/\\x64ep" v1.0.0\n', modern: true },
  { name: 'a require block with a bad line', goMod: 'module example.com/m\ngo 1.24\nrequire (\n\texample.com/dep\n)\n', modern: false },
  { name: 'two module statements', goMod: 'module example.com/m\nmodule example.com/n\ngo 1.24\n', modern: false },
  { name: "a module path in single quotes", goMod: "module 'example.com/m'\ngo 1.24\n", modern: false },
  { name: 'a module path in back quotes', goMod: 'module `example.com/m`\ngo 1.24\n', modern: false },
  { name: 'an unknown directive and a bad replace (not read)', goMod: 'module example.com/m\ngo 1.24\nfrobnicate x y z\nreplace a => \n', modern: true },
  { name: 'a bad retract (ignored laxly)', goMod: 'module example.com/m\ngo 1.24\nretract [v1.0.0\n', modern: true },
  { name: 'a bad exclude (not read)', goMod: 'module example.com/m\ngo 1.24\nexclude example.com/dep v1\n', modern: true },
  { name: 'an ignore directive with two arguments', goMod: 'module example.com/m\ngo 1.24\nignore a b\n', modern: false },
  { name: 'a module block', goMod: 'module (\n\texample.com/m\n)\ngo 1.24\n', modern: true },
  { name: 'an empty block and parentheses mid-line', goMod: 'module example.com/m\ngo 1.24\nrequire ()\ntool ( x )\n', modern: true },
  { name: 'CRLF line ends', goMod: 'module example.com/m\r\n\r\ngo 1.24\r\n', modern: true },
  { name: 'a control character (syntax error)', goMod: 'module example.com/m\ngo 1.24\n\u0007\n', modern: false },
];

describe('agreement with x/mod CreateFromDir', () => {
  let oracle: string;
  let dir: string;
  /** Work trees of the repository cases (.git directories included) and go directive trees, with x/mod's answers. */
  const trees: Array<{ name: string; dir: string; module: string; version: string; result?: OracleResult }> = [];

  beforeAll(async () => {
    oracle = await buildXmodOracle();
    dir = await makeTempDir('gomodproxy-createzip-dir-');
    for (const c of repoCases) {
      await commitTree(join(dir, c.repo), c.tree);
      for (const m of c.modules) {
        const path = m.path ?? (m.subdir === '' ? gh(c.repo) : `${gh(c.repo)}/${m.subdir}`);
        trees.push({ name: `${c.name}: ${path}`, dir: join(dir, c.repo, m.subdir), module: path, version: m.version });
      }
    }
    for (const [i, c] of goDirectiveCases.entries()) {
      const tree = join(dir, `godirective${i}`);
      await mkdir(tree);
      await writeTree(tree, { 'go.mod': c.goMod, ...vendorFiles });
      trees.push({ name: `go directive: ${c.name}`, dir: tree, module: 'example.com/m', version: 'v1.0.0' });
    }
    const jobs: OracleJob[] = trees.map((t, i) => ({ op: 'fromDir', module: t.module, version: t.version, dir: t.dir, zip: join(dir, `xmod${i}.zip`) }));
    const results = await runXmodOracle(oracle, jobs);
    results.forEach((r, i) => {
      const tree = trees[i];
      if (tree !== undefined) tree.result = r;
    });
  });

  afterAll(async () => {
    if (dir !== undefined) await removeTempDir(dir);
  });

  test('every tree was answered', () => {
    expect(trees.length).toBe(repoRuns.length + goDirectiveCases.length);
    expect(trees.every((t) => t.result !== undefined)).toBe(true);
  });

  test.each(repoRuns.map((r) => r.query).concat(goDirectiveCases.map((c) => `go directive: ${c.name}`)))('%s', async (label) => {
    const index = label.startsWith('go directive: ')
      ? repoRuns.length + goDirectiveCases.findIndex((c) => `go directive: ${c.name}` === label)
      : repoRuns.findIndex((r) => r.query === label);
    const tree = trees[index];
    expect(tree).toBeDefined();
    if (tree === undefined || tree.result === undefined) return;
    const files = await sourceFilesFromDirectory(tree.dir);
    await withTempDir(async (out) => {
      const zipPath = join(out, 'm.zip');
      const build = () => createModuleZip(zipPath, { path: tree.module, version: tree.version }, files, { tree: 'directory' });
      if (tree.result?.error !== undefined) {
        await expect(build(), `x/mod: ${tree.result.error}`).rejects.toBeInstanceOf(ZipCheckError);
        return;
      }
      const result = await build();
      expect(result.hash).toBe(tree.result?.hash);
      const prefix = `${tree.module}@${tree.version}/`;
      expect((await zipEntryNames(zipPath)).map((n) => n.slice(prefix.length))).toEqual([...(tree.result?.files ?? [])].sort(byUtf8));
    });
    if (label.startsWith('go directive: ')) {
      const c = goDirectiveCases[index - repoRuns.length];
      // The vendor rule of go1.24 and later leaves vendor/modules.txt out.
      expect(!(tree.result.files ?? []).includes('vendor/modules.txt'), 'x/mod disagrees with the table').toBe(c?.modern);
    }
  });
});
