// The git cache's size limit: least recently used mirrors go first, a mirror in use never goes,
// and a request for a mirror being removed waits until it is gone (then clones it again).
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MirrorCache } from '../../../proxy/sources/git/mirrorCache.ts';
import { makeTempDir, removeTempDir } from '../../fixtures/goCommand.ts';

const name = (n: number) => `${String(n).repeat(24)}.git`;

describe('MirrorCache', () => {
  let folder: string;
  beforeEach(async () => {
    folder = await makeTempDir('gomodproxy-mirrors-');
    // Three mirrors of 1000 bytes each, used an hour, two hours and three hours ago (1 is the oldest).
    for (const n of [1, 2, 3]) {
      await mkdir(join(folder, name(n), 'objects'), { recursive: true });
      await writeFile(join(folder, name(n), 'objects', 'pack'), Buffer.alloc(1000));
      const used = new Date(Date.now() - (4 - n) * 3600_000);
      await utimes(join(folder, name(n)), used, used);
    }
  });
  afterEach(() => removeTempDir(folder));

  const left = async () => (await readdir(folder)).sort();

  it('removes the least recently used mirrors until the rest fit, and tells their owners', async () => {
    const cache = new MirrorCache(folder, 2500);
    const forgotten: string[] = [];
    for (const n of [1, 2, 3]) cache.register(join(folder, name(n)), () => forgotten.push(name(n)));
    await cache.shrink();
    expect(await left()).toEqual([name(2), name(3)]);
    expect(forgotten).toEqual([name(1)]);
  });

  it('never removes a mirror in use: the next least recently used goes instead', async () => {
    const cache = new MirrorCache(folder, 2500);
    let release!: () => void;
    let started!: () => void;
    const working = new Promise<void>((resolve) => (started = resolve));
    const inUse = cache.use(join(folder, name(1)), () => {
      started();
      return new Promise<void>((resolve) => (release = resolve));
    });
    await working;
    await cache.shrink();
    expect(await left()).toEqual([name(1), name(3)].sort());
    release();
    await inUse;
  });

  it('keeps every mirror in use even when the cache stays over its limit', async () => {
    const cache = new MirrorCache(folder, 1);
    const releases: Array<() => void> = [];
    let started!: () => void;
    const allWorking = new Promise<void>((resolve) => (started = resolve));
    const uses = [1, 2, 3].map((n) =>
      cache.use(join(folder, name(n)), () =>
        new Promise<void>((resolve) => {
          releases.push(resolve);
          if (releases.length === 3) started();
        }),
      ),
    );
    await allWorking;
    await cache.shrink();
    expect(await left()).toEqual([name(1), name(2), name(3)]);
    for (const release of releases) release();
    await Promise.all(uses);
  });
});
