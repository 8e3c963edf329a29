import { describe, expect, it } from 'vitest';
import { isSmallZip } from '../../../proxy/modzip/smallZip.ts';
import { damageCentralDirectory, setDeclaredSize, withTempDir, writeZip, zipBytes } from './zipFiles.ts';

const P = 'example.com/m@v1.0.0/';
const MiB = 1 << 20;

function small(bytes: Uint8Array): Promise<boolean> {
  return withTempDir(async (dir) => isSmallZip(await writeZip(dir, 'm.zip', bytes)));
}

describe('isSmallZip: which zips are checked on the event loop', () => {
  it('a few small files are small', async () => {
    expect(await small(await zipBytes([{ name: `${P}go.mod`, data: 'module example.com/m\n' }, { name: `${P}a.go`, data: 'package m\n' }]))).toBe(true);
  });

  it('a zip that inflates to more than 2 MiB is not, however few bytes it has', async () => {
    const bytes = await zipBytes([{ name: `${P}zeros.bin`, data: new Uint8Array(3 * MiB) }]);
    expect(bytes.length).toBeLessThan(64 * 1024);
    expect(await small(bytes)).toBe(false);
  });

  it('a declared size raised past the limit makes it large', async () => {
    const bytes = await zipBytes([{ name: `${P}a.go`, data: 'package m\n' }]);
    expect(await small(setDeclaredSize(bytes, `${P}a.go`, 3 * MiB))).toBe(false);
  });

  it('more than 500 entries is not small', async () => {
    const entries = Array.from({ length: 501 }, (_, i) => ({ name: `${P}f${i}.go`, data: 'package m\n' }));
    expect(await small(await zipBytes(entries))).toBe(false);
  });

  it('a zip of more than 1 MiB is not small', async () => {
    const noise = new Uint8Array(MiB + 1).map((_, i) => (i * 2654435761) >>> 24);
    expect(await small(await zipBytes([{ name: `${P}noise.bin`, data: noise, compress: false }]))).toBe(false);
  });

  it('a comment after the directory is read past', async () => {
    const bytes = await zipBytes([{ name: `${P}a.go`, data: 'package m\n' }]);
    const withComment = Buffer.concat([bytes, Buffer.from('a comment')]);
    withComment.writeUInt16LE(9, bytes.length - 2);
    expect(await small(withComment)).toBe(true);
  });

  it('what it cannot read is left to the full check: a damaged directory, no zip at all, no file', async () => {
    const bytes = await zipBytes([{ name: `${P}a.go`, data: 'package m\n' }]);
    expect(await small(damageCentralDirectory(bytes, `${P}a.go`))).toBe(false);
    expect(await small(Buffer.from('not a zip at all, just some text'))).toBe(false);
    expect(await isSmallZip('/nonexistent/gomodproxy/m.zip')).toBe(false);
  });
});
