import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import yazl from 'yazl';
import { describe, expect, it } from 'vitest';
import { checkZipFile, hashFileList, ZipCheckError } from '../../../proxy/modzip/index.ts';
import type { ZipLimits } from '../../../proxy/modzip/index.ts';
import {
  damageCentralDirectory,
  damageData,
  replaceBytes,
  setCrc32,
  setDeclaredSize,
  withTempDir,
  writeZip,
  zipBytes,
} from './zipFiles.ts';
import type { ZipEntrySpec } from './zipFiles.ts';

const mod = { path: 'example.com/m', version: 'v1.0.0' };
const P = 'example.com/m@v1.0.0/';
const goMod = 'module example.com/m\n\ngo 1.22\n';
const MiB = 1 << 20;

function files(...entries: Array<[string, string]>): ZipEntrySpec[] {
  return entries.map(([name, data]) => ({ name, data }));
}

async function check(zip: Buffer, limits?: Partial<ZipLimits>, m = mod) {
  return withTempDir(async (dir) => checkZipFile(await writeZip(dir, 'm.zip', zip), m, limits));
}

async function checkError(zip: Buffer, limits?: Partial<ZipLimits>, m = mod): Promise<ZipCheckError> {
  try {
    await check(zip, limits, m);
  } catch (err) {
    expect(err).toBeInstanceOf(ZipCheckError);
    return err as ZipCheckError;
  }
  throw new Error('the zip was accepted');
}

type BadZipCase = {
  name: string;
  zip: () => Promise<Buffer>;
  limits?: Partial<ZipLimits>;
  mod?: { path: string; version: string };
  error: RegExp;
};

const badZips: BadZipCase[] = [
  {
    name: 'an entry outside the module prefix',
    zip: () => zipBytes(files([`${P}go.mod`, goMod], ['other.com/m@v1.0.0/a.go', 'package m\n'])),
    error: /zip entry "other\.com\/m@v1\.0\.0\/a\.go": not under "example\.com\/m@v1\.0\.0\/"/,
  },
  {
    name: 'another version in the prefix',
    zip: () => zipBytes(files(['example.com/m@v1.0.1/a.go', 'package m\n'])),
    error: /zip entry "example\.com\/m@v1\.0\.1\/a\.go": not under "example\.com\/m@v1\.0\.0\/"/,
  },
  {
    name: 'an !-escaped module path in the prefix (names use the path as it is)',
    mod: { path: 'example.com/Upper', version: 'v1.0.0' },
    zip: () => zipBytes(files(['example.com/!upper@v1.0.0/a.go', 'package m\n'])),
    error: /not under "example\.com\/Upper@v1\.0\.0\/"/,
  },
  {
    name: 'a bare module@version without the slash',
    zip: () => zipBytes(files(['example.com/m@v1.0.0', 'x'])),
    error: /not under/,
  },
  {
    name: 'a "../" path',
    zip: async () => replaceBytes(await zipBytes(files([`${P}XX/a.go`, 'package m\n'])), 'XX/a.go', '../a.go'),
    error: /zip entry "example\.com\/m@v1\.0\.0\/\.\.\/a\.go": malformed file path "\.\.\/a\.go": invalid path element "\.\."/,
  },
  {
    name: 'a "./" path element (not clean by the rule of path.Clean)',
    zip: async () => replaceBytes(await zipBytes(files([`${P}d/X/a.go`, 'package m\n'])), 'd/X/a.go', 'd/./a.go'),
    error: /file path is not clean/,
  },
  {
    name: 'a double slash',
    zip: async () => replaceBytes(await zipBytes(files([`${P}dXXa.go`, 'package m\n'])), 'dXXa.go', 'd//a.go'),
    error: /file path is not clean/,
  },
  {
    name: 'a character file paths may not hold',
    zip: () => zipBytes(files([`${P}a*b.go`, 'package m\n'])),
    error: /zip entry "example\.com\/m@v1\.0\.0\/a\*b\.go": malformed file path "a\*b\.go": invalid char/,
  },
  {
    name: 'a Windows reserved name',
    zip: () => zipBytes(files([`${P}con.go`, 'package m\n'])),
    error: /malformed file path "con\.go"/,
  },
  {
    name: 'duplicate names',
    zip: () => zipBytes(files([`${P}a.go`, 'package m\n'], [`${P}a.go`, 'package m // again\n'])),
    error: /multiple entries for file "a\.go"/,
  },
  {
    name: 'a case-fold collision',
    zip: () => zipBytes(files([`${P}a.go`, 'package m\n'], [`${P}A.go`, 'package m\n'])),
    error: /case-insensitive file name collision: "a\.go" and "A\.go"/,
  },
  {
    name: 'a case-fold collision of directories',
    zip: () => zipBytes(files([`${P}dir/a.go`, 'package m\n'], [`${P}Dir/b.go`, 'package m\n'])),
    error: /case-insensitive file name collision: "dir" and "Dir"/,
  },
  {
    name: 'a case-fold collision beyond lower-casing (U+212A KELVIN SIGN folds with k)',
    zip: () => zipBytes(files([`${P}k.go`, 'package m\n'], [`${P}\u212a.go`, 'package m\n'])),
    error: /case-insensitive file name collision: "k\.go" and "\u212a\.go"/,
  },
  {
    name: 'a case-fold collision beyond lower-casing (U+017F LONG S folds with s)',
    zip: () => zipBytes(files([`${P}s.go`, 'package m\n'], [`${P}\u017f.go`, 'package m\n'])),
    error: /case-insensitive file name collision/,
  },
  {
    name: 'a path that is both a file and a directory',
    zip: () => zipBytes(files([`${P}a`, 'x'], [`${P}a/b.go`, 'package m\n'])),
    error: /"a" is both a file and a directory/,
  },
  {
    name: 'a go.mod in a subdirectory (a nested module)',
    zip: () => zipBytes(files([`${P}go.mod`, goMod], [`${P}sub/go.mod`, 'module example.com/m/sub\n'])),
    error: /zip entry "example\.com\/m@v1\.0\.0\/sub\/go\.mod": go\.mod file not in module root directory/,
  },
  {
    name: 'a GO.MOD in a subdirectory',
    zip: () => zipBytes(files([`${P}sub/GO.MOD`, 'module example.com/m/sub\n'])),
    error: /go\.mod file not in module root directory/,
  },
  {
    name: 'a root go.mod spelt in upper case',
    zip: () => zipBytes(files([`${P}Go.Mod`, goMod])),
    error: /go\.mod files must have lowercase names/,
  },
  {
    name: 'a symbolic link',
    zip: () => zipBytes([{ name: `${P}link.go`, data: 'a.go', mode: 0o120777 }]),
    error: /zip entry "example\.com\/m@v1\.0\.0\/link\.go": symbolic link not allowed/,
  },
  {
    name: 'a named pipe',
    zip: () => zipBytes([{ name: `${P}fifo`, data: '', mode: 0o010644 }]),
    error: /irregular file \(mode 010000\) not allowed/,
  },
  {
    name: 'a name that is not UTF-8',
    zip: async () => replaceBytes(await zipBytes(files([`${P}aXY.go`, 'package m\n'])), 'aXY.go', Buffer.from([0x61, 0xff, 0xfe, 0x2e, 0x67, 0x6f])),
    error: /zip entry "example\.com\/m@v1\.0\.0\/a\xff\xfe\.go": name is not valid UTF-8/,
  },
  {
    name: 'a deflated entry that inflates to more than it declares',
    zip: async () => setDeclaredSize(await zipBytes(files([`${P}a.go`, 'package m\n'.repeat(100)])), `${P}a.go`, 10),
    error: /zip entry "example\.com\/m@v1\.0\.0\/a\.go": inflates to more than its declared size \(10 bytes\)/,
  },
  {
    name: 'a stored entry longer than it declares',
    zip: async () =>
      setDeclaredSize(await zipBytes([{ name: `${P}a.go`, data: 'package m\n', compress: false }]), `${P}a.go`, 5),
    error: /inflates to more than its declared size \(5 bytes\)/,
  },
  {
    name: 'an entry that inflates to less than it declares',
    zip: async () => setDeclaredSize(await zipBytes(files([`${P}a.go`, 'package m\n'])), `${P}a.go`, 11),
    error: /inflates to 10 bytes, less than its declared size \(11 bytes\)/,
  },
  {
    name: 'a CRC-32 that does not match the content',
    zip: async () => setCrc32(await zipBytes(files([`${P}a.go`, 'package m\n'])), `${P}a.go`, 0x12345678),
    error: /zip entry "example\.com\/m@v1\.0\.0\/a\.go": CRC-32 mismatch/,
  },
  {
    name: 'a truncated zip (its end cut off)',
    zip: async () => {
      const zip = await zipBytes(files([`${P}go.mod`, goMod], [`${P}a.go`, 'package m\n']));
      return zip.subarray(0, zip.length - 10);
    },
    error: /^corrupt zip: /,
  },
  {
    name: 'a truncated zip (cut in half)',
    zip: async () => {
      const zip = await zipBytes(files([`${P}go.mod`, goMod], [`${P}a.go`, 'package m\n'.repeat(50)]));
      return zip.subarray(0, zip.length >> 1);
    },
    error: /^corrupt zip: /,
  },
  {
    name: 'a damaged central directory',
    zip: async () => damageCentralDirectory(await zipBytes(files([`${P}go.mod`, goMod], [`${P}a.go`, 'package m\n'])), `${P}a.go`),
    error: /^corrupt zip: invalid central directory file header signature/,
  },
  {
    name: 'damaged deflate data',
    zip: async () => damageData(await zipBytes(files([`${P}a.go`, 'package m\n'.repeat(10)])), `${P}a.go`),
    error: /^zip entry "example\.com\/m@v1\.0\.0\/a\.go": cannot read: invalid block type/,
  },
  {
    name: 'an unsupported compression method',
    zip: async () => {
      const zip = await zipBytes(files([`${P}a.go`, 'package m\n']));
      const cd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
      zip.writeUInt16LE(12, cd + 10); // bzip2
      return zip;
    },
    error: /cannot read: unsupported compression method 12/,
  },
  {
    name: 'not a zip at all',
    zip: async () => Buffer.from('<html>404 page not found</html>\n'),
    error: /^corrupt zip: /,
  },
  {
    name: 'an empty file',
    zip: async () => Buffer.alloc(0),
    error: /^corrupt zip: /,
  },
  {
    name: 'a go.mod over the limit (true limit: 16 MiB + 1 byte)',
    zip: () => zipBytes(files([`${P}go.mod`, goMod.padEnd(16 * MiB + 1, '/')])),
    error: /go\.mod too large: 16\.0 MiB \(16777217 bytes\) > 16 MiB/,
  },
  {
    name: 'a LICENSE over the limit (true limit: 16 MiB + 1 byte)',
    zip: () => zipBytes(files([`${P}LICENSE`, ' '.repeat(16 * MiB + 1)])),
    error: /zip entry "example\.com\/m@v1\.0\.0\/LICENSE": LICENSE too large: .* > 16 MiB/,
  },
  {
    name: 'a go.mod over an injected limit',
    limits: { maxGoModBytes: 20 },
    zip: () => zipBytes(files([`${P}go.mod`, goMod])),
    error: /go\.mod too large: 30 bytes > 20 bytes/,
  },
  {
    name: 'contents declared over the true limit of 500 MiB uncompressed',
    zip: async () => setDeclaredSize(await zipBytes(files([`${P}big.bin`, 'x'])), `${P}big.bin`, 500 * MiB + 1),
    error: /module zip too large: more than 500 MiB uncompressed/,
  },
  {
    name: 'contents over an injected uncompressed limit, across files',
    limits: { maxUncompressedBytes: 15 },
    zip: () => zipBytes(files([`${P}a.go`, 'package m\n'], [`${P}b.go`, 'package m\n'])),
    error: /module zip too large: more than 15 bytes uncompressed \(at zip entry "example\.com\/m@v1\.0\.0\/b\.go"\)/,
  },
  {
    name: 'a zip file over an injected size limit',
    limits: { maxZipBytes: 100 },
    zip: () => zipBytes(files([`${P}a.go`, 'package m\n'])),
    error: /^zip too large: \d+ bytes > 100 bytes$/,
  },
  {
    name: 'a version that is not canonical',
    mod: { path: 'example.com/m', version: 'v1.0' },
    zip: () => zipBytes(files(['example.com/m@v1.0/a.go', 'package m\n'])),
    error: /version "v1\.0" is not canonical \(should be "v1\.0\.0"\)/,
  },
  {
    name: 'a version that does not fit the major version suffix',
    mod: { path: 'example.com/m/v2', version: 'v1.0.0' },
    zip: () => zipBytes(files(['example.com/m/v2@v1.0.0/a.go', 'package m\n'])),
    error: /cannot check zip: invalid version "v1\.0\.0"/,
  },
];

describe('checkZipFile refuses zips that break the module zip rules', () => {
  it.each(badZips)('$name', async ({ zip, limits, mod: m, error }) => {
    const err = await checkError(await zip(), limits, m ?? mod);
    expect(err.message).toMatch(error);
    expect(err.problems.length).toBeGreaterThan(0);
  });

  it('lists every entry at fault', async () => {
    const zip = await zipBytes(
      files(
        [`${P}go.mod`, goMod],
        ['elsewhere/a.go', 'package m\n'],
        [`${P}sub/go.mod`, 'module example.com/m/sub\n'],
        [`${P}a.go`, 'package m\n'],
        [`${P}A.go`, 'package m\n'],
      ),
    );
    const err = await checkError(zip);
    expect(err.problems).toEqual([
      'zip entry "elsewhere/a.go": not under "example.com/m@v1.0.0/"',
      'zip entry "example.com/m@v1.0.0/sub/go.mod": go.mod file not in module root directory (a nested module does not belong in this zip)',
      'zip entry "example.com/m@v1.0.0/A.go": case-insensitive file name collision: "a.go" and "A.go"',
    ]);
    expect(err.message).toMatch(/^3 problems in module zip: zip entry "elsewhere\/a\.go"/);
  });
});

function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

describe('checkZipFile accepts good zips', () => {
  type GoodZipCase = {
    name: string;
    entries: ZipEntrySpec[];
    limits?: Partial<ZipLimits>;
    files: number;
    goMod: string | null;
  };
  const goodZips: GoodZipCase[] = [
    {
      name: 'files with a root go.mod',
      entries: files([`${P}go.mod`, goMod], [`${P}a.go`, 'package m\n'], [`${P}sub/b.go`, 'package sub\n']),
      files: 3,
      goMod,
    },
    {
      name: 'no go.mod, directory entries, the prefix entry itself, stored and deflated files',
      entries: [
        { name: P },
        { name: `${P}dir/` },
        { name: `${P}dir/a.go`, data: 'package dir\n', compress: false },
        { name: `${P}empty.txt`, data: '' },
      ],
      files: 2,
      goMod: null,
    },
    {
      name: 'vendor and hidden files (omitted when building, not refused when checking)',
      entries: files([`${P}.hidden`, 'x'], [`${P}vendor/modules.txt`, '# x\n'], [`${P}sub/vendor/v.go`, 'package v\n']),
      files: 3,
      goMod: null,
    },
    {
      name: 'files exactly at injected limits',
      limits: { maxGoModBytes: goMod.length, maxLicenseBytes: 3, maxUncompressedBytes: goMod.length + 3 },
      entries: files([`${P}go.mod`, goMod], [`${P}LICENSE`, 'MIT']),
      files: 2,
      goMod,
    },
  ];

  it.each(goodZips)('$name', async ({ entries, limits, files: fileCount, goMod: wantGoMod }) => {
    const zip = await zipBytes(entries);
    const summary = await check(zip, limits);
    const contents = entries.map((e) => e.data ?? '');
    expect(summary.files).toBe(fileCount);
    expect(summary.zipBytes).toBe(zip.length);
    expect(summary.uncompressedBytes).toBe(contents.reduce((n, c) => n + Buffer.byteLength(c), 0));
    expect(summary.goMod === null ? null : Buffer.from(summary.goMod).toString('utf8')).toBe(wantGoMod);
    // The hash covers every entry, directories included, by its full name.
    expect(summary.hash).toBe(hashFileList(entries.map((e) => ({ name: e.name, sha256Hex: sha256Hex(e.data ?? '') }))));
  });
});

describe('checkZipFile streams', () => {
  it('a file of exactly 500 MiB, written with a data descriptor, in bounded memory', async () => {
    const size = 500 * MiB;
    const chunk = Buffer.alloc(MiB);
    const zip = new yazl.ZipFile();
    zip.addReadStream(Readable.from((function* () {
      for (let i = 0; i < size / MiB; i++) yield chunk;
    })()), `${P}zeros.bin`, { mtime: new Date('2024-01-01T00:00:00Z'), compressionLevel: 1 });
    zip.end();
    const parts: Buffer[] = [];
    for await (const part of zip.outputStream as AsyncIterable<Buffer>) parts.push(part);
    const bytes = Buffer.concat(parts);

    const zerosDigest = createHash('sha256');
    for (let i = 0; i < size / MiB; i++) zerosDigest.update(chunk);

    const before = process.memoryUsage().rss;
    let peak = before;
    const timer = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    try {
      const summary = await check(bytes);
      expect(summary.uncompressedBytes).toBe(size);
      expect(summary.hash).toBe(hashFileList([{ name: `${P}zeros.bin`, sha256Hex: zerosDigest.digest('hex') }]));
    } finally {
      clearInterval(timer);
    }
    expect(peak - before).toBeLessThan(200 * MiB);
  });
});
