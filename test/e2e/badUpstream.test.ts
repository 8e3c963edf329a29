// Bad upstream content is refused with a 502 that says why, and nothing of it is stored: the next
// client does not get it from the cache either.
import { stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import yazl from 'yazl';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goModDownloadJson, makeGoHome } from '../fixtures/goCommand.ts';
import { moduleFile, type FixtureModule } from '../fixtures/moduleTree.ts';
import type { Upstream } from '../fixtures/upstreamServer.ts';
import { stagedFiles, startProxiedTree, type ProxiedTree, type TestProxy } from './harness.ts';

const goSource = (name: string) => `package ${name}\n\nfunc Name() string { return "${name}" }\n`;

/** One module per kind of damage; `damage` changes the written tree. */
type Case = {
  name: string;
  module: FixtureModule;
  damage?: (root: string, m: FixtureModule) => Promise<void>;
  /** The file whose request is refused. */
  refused: 'info' | 'mod' | 'zip';
  reason: RegExp;
};

async function writeZip(file: string, entries: Array<[string, string]>): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const [name, content] of entries) zip.addBuffer(Buffer.from(content), name, { mtime: new Date(0) });
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(file));
}

const m = (name: string, extra: Partial<FixtureModule> = {}): FixtureModule => ({
  path: `github.com/acme/${name}`,
  version: 'v1.0.0',
  files: { [`${name.replace(/[^a-z]/g, '')}.go`]: goSource(name.replace(/[^a-z]/g, '')) },
  ...extra,
});

const cases: Case[] = [
  {
    name: 'a truncated zip',
    module: m('truncated', { files: { 'big.txt': 'x'.repeat(100_000), 'truncated.go': goSource('truncated') } }),
    damage: async (root, mod) => {
      const file = moduleFile(root, mod, 'zip');
      await truncate(file, Math.floor((await stat(file)).size / 2));
    },
    refused: 'zip',
    reason: /corrupt|truncated|central directory|end of/i,
  },
  {
    name: 'a zip whose files are under another module',
    module: m('prefix'),
    damage: (root, mod) => writeZip(moduleFile(root, mod, 'zip'), [['github.com/acme/other@v1.0.0/go.mod', 'module github.com/acme/other\n']]),
    refused: 'zip',
    reason: /github\.com\/acme\/prefix@v1\.0\.0\//,
  },
  {
    name: 'a zip with the wrong version in its prefix',
    module: m('wrongversion'),
    damage: (root, mod) => writeZip(moduleFile(root, mod, 'zip'), [['github.com/acme/wrongversion@v1.0.1/x.go', 'package x\n']]),
    refused: 'zip',
    reason: /wrongversion@v1\.0\.0\//,
  },
  {
    name: 'a zip with two files that differ only in case',
    module: m('casefold'),
    damage: (root, mod) =>
      writeZip(moduleFile(root, mod, 'zip'), [
        ['github.com/acme/casefold@v1.0.0/a.go', 'package a\n'],
        ['github.com/acme/casefold@v1.0.0/A.go', 'package a\n'],
      ]),
    refused: 'zip',
    reason: /case/i,
  },
  {
    name: 'a zip whose go.mod differs from the .mod',
    module: m('modmismatch'),
    damage: (root, mod) =>
      writeZip(moduleFile(root, mod, 'zip'), [['github.com/acme/modmismatch@v1.0.0/go.mod', 'module github.com/acme/modmismatch\n\nrequire evil.example/x v1.0.0\n']]),
    refused: 'zip',
    reason: /go\.mod differs/,
  },
  {
    name: 'a zip with a go.mod over 16 MiB',
    module: m('hugemod'),
    damage: (root, mod) =>
      writeZip(moduleFile(root, mod, 'zip'), [['github.com/acme/hugemod@v1.0.0/go.mod', `module github.com/acme/hugemod\n${'/'.repeat(16 << 20)}\n`]]),
    refused: 'zip',
    reason: /go\.mod.*(large|limit|MiB)|(large|limit|MiB).*go\.mod/i,
  },
  {
    // With the checksum database off (or the path in nosumdb), nothing else would stop it: it would
    // be stored for good, and the real zip refused for ever after as disagreeing with it.
    name: 'an HTML page for a .mod',
    module: m('htmlmod'),
    damage: (root, mod) => writeFile(moduleFile(root, mod, 'mod'), '<!DOCTYPE html>\n<html><body>Please log in</body></html>\n'),
    refused: 'mod',
    reason: /htmlmod@v1\.0\.0 that has no module line/,
  },
  {
    name: 'an HTML page with attributes for a .mod',
    module: m('htmlattrmod'),
    damage: (root, mod) => writeFile(moduleFile(root, mod, 'mod'), '<html lang="en"><body>Please log in</body></html>\n'),
    refused: 'mod',
    reason: /is not a go\.mod/,
  },
  {
    name: 'a .mod of another module',
    module: m('othermod'),
    damage: (root, mod) => writeFile(moduleFile(root, mod, 'mod'), 'module github.com/acme/evil\n\ngo 1.21\n'),
    refused: 'mod',
    reason: /declares module "github\.com\/acme\/evil"/,
  },
  {
    name: 'an .info for another version',
    module: m('otherinfo'),
    damage: (root, mod) => writeFile(moduleFile(root, mod, 'info'), JSON.stringify({ Version: 'v1.0.1', Time: '2024-01-01T00:00:00Z' })),
    refused: 'info',
    reason: /is for version "v1\.0\.1"/,
  },
  {
    name: 'an .info that is not JSON',
    module: m('garbledinfo'),
    damage: (root, mod) => writeFile(moduleFile(root, mod, 'info'), '<html>oops</html>'),
    refused: 'info',
    reason: /not JSON/,
  },
];

describe('bad upstream content', () => {
  let setup: ProxiedTree;
  let upstream: Upstream;
  let proxy: TestProxy;

  beforeAll(async () => {
    setup = await startProxiedTree(
      cases.map((c) => c.module),
      { damage: async (tree) => { for (const c of cases) await c.damage?.(tree, c.module); } },
    );
    ({ upstream, proxy } = setup);
  });
  afterAll(() => setup.dispose());

  it.each(cases)('refuses $name with a 502 that says why, and stores nothing', async (c) => {
    const escapedFile = moduleFile('', c.module, c.refused).replace(/^\//, '');
    const url = `${proxy.url}/${escapedFile}`;
    if (c.refused === 'zip') {
      // The go command fetches .mod before .zip; do the same so the go.mod comparison has a .mod.
      expect((await fetch(url.replace(/\.zip$/, '.mod'))).status).toBe(200);
    }
    for (let attempt = 0; attempt < 2; attempt++) {
      const response = await fetch(url);
      const body = await response.text();
      expect(response.status, body).toBe(502);
      expect(body).toMatch(c.reason);
      expect(body.trim().split('\n')).toHaveLength(1);
    }
    // Refused content is never stored, and each request asked the upstream again.
    await expect(stat(join(proxy.storagePath, escapedFile))).rejects.toThrow(/ENOENT/);
    expect(upstream.count(escapedFile)).toBe(2);
  });

  it('the go command shows the reason', async () => {
    const c = cases.find((x) => x.name === 'a zip with the wrong version in its prefix')!;
    const home = await makeGoHome({ goproxy: proxy.url });
    try {
      const [result] = await goModDownloadJson([`${c.module.path}@${c.module.version}`], { env: home.env });
      expect(result!.Error).toMatch(/502 Bad Gateway/);
      expect(result!.Error).toMatch(/refused/);
    } finally {
      await home.dispose();
    }
  });

  it('a .mod refused once is not remembered: fixed upstream, the go command downloads the module', async () => {
    const c = cases.find((x) => x.name === 'an HTML page for a .mod')!;
    await writeFile(moduleFile(setup.tree, c.module, 'mod'), `module ${c.module.path}\n\ngo 1.21\n`);
    const home = await makeGoHome({ goproxy: proxy.url });
    try {
      const [result] = await goModDownloadJson([`${c.module.path}@${c.module.version}`], { env: home.env });
      expect(result!.Error).toBeUndefined();
      expect(result!.Sum).toMatch(/^h1:/);
    } finally {
      await home.dispose();
    }
  });

  it('nothing half-written is left in staging', async () => {
    expect(await stagedFiles(proxy.storagePath)).toEqual([]);
  });
});
