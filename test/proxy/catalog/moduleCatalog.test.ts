// The catalog of the store: search by prefix and substring (any case), sorted; latest by the go
// command's rule; a listing removes what it did not see, but not what was stored meanwhile;
// downloads noted before the version is known are kept for it.
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { CatalogUpkeep, ModuleCatalog } from '../../../proxy/catalog/index.ts';
import { DiskStorage } from '../../../proxy/storage/disk.ts';
import { versionKey } from '../../../proxy/storage/index.ts';

function catalogOf(versions: string[]): ModuleCatalog {
  const catalog = new ModuleCatalog();
  for (const id of versions) {
    const [path, version] = id.split('@') as [string, string];
    catalog.noteFile(path, version, 'mod');
  }
  return catalog;
}

const paths = ['github.com/acme/base', 'github.com/Acme/Widget', 'github.com/acme/widget-extra', 'gopkg.in/acme/yaml.v2', 'example.com/tools'];

describe('module catalog', () => {
  const catalog = catalogOf(paths.map((p) => `${p}@v1.0.0`));

  it.each([
    { text: '', match: 'substring', want: ['example.com/tools', 'github.com/acme/base', 'github.com/Acme/Widget', 'github.com/acme/widget-extra', 'gopkg.in/acme/yaml.v2'] },
    { text: 'WIDGET', match: 'substring', want: ['github.com/Acme/Widget', 'github.com/acme/widget-extra'] },
    { text: 'acme', match: 'substring', want: ['github.com/acme/base', 'github.com/Acme/Widget', 'github.com/acme/widget-extra', 'gopkg.in/acme/yaml.v2'] },
    { text: 'acme', match: 'prefix', want: [] },
    { text: 'github.com/acme/w', match: 'prefix', want: ['github.com/Acme/Widget', 'github.com/acme/widget-extra'] },
    { text: 'gopkg.in/acme/yaml.v2', match: 'prefix', want: ['gopkg.in/acme/yaml.v2'] },
    { text: 'gopkg.in/acme/yaml.v2/more', match: 'prefix', want: [] },
  ] as const)('search $match "$text"', ({ text, match, want }) => {
    expect(catalog.search(text, match, () => true).map((m) => m.path)).toEqual(want);
  });

  it('leaves out what the caller may not see', () => {
    expect(catalog.search('acme', 'substring', (m) => !m.path.includes('Widget')).map((m) => m.path)).toEqual([
      'github.com/acme/base',
      'github.com/acme/widget-extra',
      'gopkg.in/acme/yaml.v2',
    ]);
  });

  it.each([
    { versions: ['v1.0.0', 'v1.2.0', 'v1.10.0-rc.1'], latest: 'v1.2.0' },
    { versions: ['v1.0.0-beta.1', 'v1.0.0-rc.1'], latest: 'v1.0.0-rc.1' },
    { versions: ['v0.0.0-20240102030405-abcdefabcdef', 'v0.0.0-20240203040506-bcdefabcdef0'], latest: 'v0.0.0-20240203040506-bcdefabcdef0' },
  ])('latest of $versions is $latest', ({ versions, latest }) => {
    const c = catalogOf(versions.map((v) => `example.com/m@${v}`));
    expect(c.latestOf(c.module('example.com/m')!)).toBe(latest);
  });

  it('a listing removes what it did not see, keeps what this process stored meanwhile, and counts follow', () => {
    const c = catalogOf(['example.com/a@v1.0.0', 'example.com/a@v1.1.0', 'example.com/b@v1.0.0']);
    const start = c.listingStarts();
    c.noteFile('example.com/a@v1.0.0'.split('@')[0]!, 'v1.0.0', 'mod'); // seen by the listing
    c.noteFile('example.com/c', 'v0.1.0', 'zip'); // stored meanwhile
    c.dropUnseen(start);
    expect(c.complete).toBe(true);
    expect(c.counts).toEqual({ modules: 2, versions: 2 });
    expect([...c.module('example.com/a')!.versions.keys()]).toEqual(['v1.0.0']);
    expect(c.module('example.com/b')).toBeUndefined();
    expect(c.latestOf(c.module('example.com/a')!)).toBe('v1.0.0');
  });

  it('keeps the latest download, also one noted before the version was listed', () => {
    const c = new ModuleCatalog();
    c.noteDownload('example.com/a', 'v1.0.0', 2000);
    c.noteDownload('example.com/a', 'v1.0.0', 1000);
    c.noteFile('example.com/a', 'v1.0.0', 'mod');
    c.noteFile('example.com/a', 'v1.1.0', 'mod');
    c.noteDownload('example.com/a', 'v1.1.0', 1500);
    const module = c.module('example.com/a')!;
    expect(module.versions.get('v1.0.0')!.lastDownload).toBe(2000);
    expect(module.versions.get('v1.1.0')!.lastDownload).toBe(1500);
    expect(module.lastDownload).toBe(2000);
    c.removeVersion('example.com/a', 'v1.0.0');
    expect(module.lastDownload).toBe(1500);
  });
});

describe('the catalog listing of a disk store', () => {
  it('lists the versions beside files the store did not write, counts their bytes, and the bytes held by day written', async () => {
    const root = await mkdtemp(join(tmpdir(), 'gomodproxy-catalog-'));
    try {
      const storage = new DiskStorage(root);
      await storage.open();
      await storage.put(versionKey('github.com/acme/base', 'v1.0.0', 'mod'), Buffer.from('module github.com/acme/base\n'));
      await writeFile(join(root, '.store-complete'), 'marker\n');
      await mkdir(join(root, 'github.com', 'acme', 'notes'), { recursive: true });
      await writeFile(join(root, 'github.com', 'acme', 'notes', 'README~'), 'x');
      await utimes(join(root, 'github.com', 'acme', 'notes', 'README~'), new Date('2026-01-01T08:00:00Z'), new Date('2026-01-01T08:00:00Z'));
      await utimes(join(root, '.store-complete'), new Date('2026-01-02T23:00:00Z'), new Date('2026-01-02T23:00:00Z'));
      const catalog = new ModuleCatalog();
      const upkeep = new CatalogUpkeep({ catalog, storage, logger: pino({ level: 'silent' }) });
      await upkeep.relist();
      await upkeep.close();
      expect(catalog.complete).toBe(true);
      expect(catalog.search('', 'substring', () => true).map((m) => m.path)).toEqual(['github.com/acme/base']);
      const total = 'module github.com/acme/base\n'.length + 'marker\n'.length + 1;
      expect(catalog.storedBytes).toBe(total);
      // Per day, what is held of everything written up to its end.
      expect(catalog.storageGrowth).toEqual([
        { day: '2026-01-01', bytes: 1 },
        { day: '2026-01-02', bytes: 1 + 'marker\n'.length },
        { day: new Date().toISOString().slice(0, 10), bytes: total },
      ]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
