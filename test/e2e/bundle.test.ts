// Offline bundles: `gomodproxy export` on one store, `gomodproxy import` into another that has no
// upstream at all and no checksum database it can reach, and the go command builds through a proxy
// on that second store, verifying every go.sum line with GOSUMDB set to the test database's key
// (no URL: it asks the proxy). A damaged or tampered bundle is refused; a bundle whose tree head
// forks from the one held is refused whole; an incremental bundle (--since) carries only what is new.
import { execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { extract as tarExtract, pack as tarPack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashGoMod } from '../../proxy/modzip/index.ts';
import { fileProxyUrl, goModDownloadJson, makeGoHome, runGo } from '../fixtures/goCommand.ts';
import { freePort } from '../fixtures/freePort.ts';
import { buildableProgram, escapeCase, standardCorpus, writeModuleTree } from '../fixtures/moduleTree.ts';
import { startChecksumDatabase, type ChecksumDatabaseServer } from '../fixtures/sumdbServer.ts';
import { runGomodproxy, runProgramFromStoreOnly, startTestProxy, tempFolder } from './harness.ts';

type Folder = { path: string; dispose(): Promise<void> };

function fillerRecords(n: number, from: number) {
  const hash = 'h1:' + Buffer.alloc(32, 7).toString('base64');
  return Array.from({ length: n }, (_, i) => ({ path: `example.com/filler/m${from + i}`, version: 'v1.0.0', zipHash: hash, modHash: hash }));
}

/** Every entry of a tar, in order. */
async function readTar(file: string): Promise<Array<{ name: string; data: Buffer }>> {
  const entries: Array<{ name: string; data: Buffer }> = [];
  const extract = tarExtract();
  const reading = pipeline(createReadStream(file), extract);
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    entries.push({ name: entry.header.name, data: Buffer.concat(chunks) });
  }
  await reading;
  return entries;
}

async function writeTar(file: string, entries: Array<{ name: string; data: Buffer }>): Promise<void> {
  const pack = tarPack();
  const writing = pipeline(pack, createWriteStream(file));
  for (const entry of entries) pack.entry({ name: entry.name, size: entry.data.length }, entry.data);
  pack.finalize();
  await writing;
}

/** Every file under a folder with its content, to show an import changed nothing. */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(relative(dir, path), (await readFile(path)).toString('base64'));
  }
  return files;
}

/** What an import prints on stderr off a terminal: progress lines, the last one the closing line. */
const PROGRESS_ONLY = /^(import: [^\n]*\n)*import: finished (\d+)\/\2 in \S+, [\d.]+ (B|KiB|MiB) at [^\n]*\n$/;

const sortedLines = (text: string) => text.split('\n').filter(Boolean).sort();

describe('offline bundles', () => {
  const program = buildableProgram();
  let tree: Folder;
  let work: Folder;
  let source: Folder;
  let db: ChecksumDatabaseServer;
  let bundle: string;
  /** The test database's setting at an address where nothing answers: the air-gapped site. */
  let unreachable: string;

  beforeAll(async () => {
    tree = await tempFolder('gomodproxy-bundle-tree-');
    work = await tempFolder('gomodproxy-bundle-work-');
    source = await tempFolder('gomodproxy-bundle-source-');
    await writeModuleTree(tree.path, standardCorpus());
    db = await startChecksumDatabase();
    // 300 records first, so that proofs need tiles of two levels, full and partial.
    await db.add(fillerRecords(300, 0));
    await db.addFixtures(standardCorpus());
    unreachable = `${db.vkey} http://127.0.0.1:${await freePort()}`;
    await writeFile(join(work.path, 'go.mod'), program.goMod);
    await writeFile(join(work.path, 'go.sum'), program.goSum);
    // The source store holds the program's module graph, verified against the database.
    const prefetch = await runGomodproxy(['prefetch', '--storage-path', source.path, '--upstream', fileProxyUrl(tree.path), join(work.path, 'go.mod')], {
      GOMODPROXY_SUMDB: db.setting,
    });
    expect(prefetch.code, prefetch.stdout + prefetch.stderr).toBe(0);
    bundle = join(work.path, 'bundle.tar');
  });
  afterAll(async () => {
    await db?.close();
    for (const folder of [source, work, tree]) await folder?.dispose();
  });

  /** The program built by the go command through an offline proxy on the store, verifying go.sum through the proxy. */
  async function buildOffline(storePath: string): Promise<{ output: string; goSum: string; code: number; stderr: string }> {
    const proxy = await startTestProxy({ upstream: 'off', storagePath: storePath, sumdb: unreachable });
    const home = await makeGoHome({ goproxy: proxy.url, gosumdb: db.vkey, extra: { GOFLAGS: '-modcacherw -mod=mod' } });
    try {
      const dir = join(home.home, 'program');
      await mkdir(dir);
      await writeFile(join(dir, 'go.mod'), program.goMod);
      await writeFile(join(dir, 'main.go'), program.mainGo);
      const run = await runGo(['run', '.'], { cwd: dir, env: home.env, allowFailure: true });
      const goSum = await readFile(join(dir, 'go.sum'), 'utf8').catch(() => '');
      return { output: run.stdout, goSum, code: run.code, stderr: run.stderr };
    } finally {
      await home.dispose();
      await proxy.dispose();
    }
  }

  const importInto = (storePath: string, file: string, ...extra: string[]) =>
    runGomodproxy(['import', '--storage-path', storePath, '--upstream', 'off', file, ...extra], { GOMODPROXY_SUMDB: unreachable });

  it('exports a store with the checksum database proof, imports it where nothing can be reached, and the go command verifies through it', async () => {
    const exported = await runGomodproxy(['export', '--storage-path', source.path, '--all', '--out', bundle, '--json'], { GOMODPROXY_SUMDB: db.setting });
    expect(exported.code, exported.stderr).toBe(0);
    const summary = JSON.parse(exported.stdout) as { versions: number; missing: string[]; checksumDatabase: { treeSize: number; lookups: number; notFound: string[] } };
    expect(summary.missing).toEqual([]);
    expect(summary.versions).toBeGreaterThanOrEqual(program.requires.length);
    expect(summary.checksumDatabase).toMatchObject({ treeSize: 300 + standardCorpus().length, lookups: summary.versions, notFound: [] });

    const target = await tempFolder('gomodproxy-bundle-target-');
    try {
      const imported = await importInto(target.path, bundle);
      // Off a terminal stderr has progress lines only, the last one the closing line.
      expect(imported.stderr).toMatch(PROGRESS_ONLY);
      expect(imported.code).toBe(0);
      expect(imported.stdout).toBe(
        `import: ${summary.versions} module versions imported, 0 already stored, 0 refused\n` +
          `  checksum database localhost: ${summary.versions} module versions proved by the signed tree head the bundle carries (${summary.checksumDatabase.treeSize} records; first tree held here)\n`,
      );
      const requestsBefore = db.requests.length;
      const built = await buildOffline(target.path);
      expect(built.code, built.stderr).toBe(0);
      expect(built.output).toBe(program.expectedOutput);
      expect(sortedLines(built.goSum)).toEqual(sortedLines(program.goSum));
      // Nothing reached the database: the offline proxy answered from what the bundle carried.
      expect(db.requests.length).toBe(requestsBefore);

      const again = await importInto(target.path, bundle);
      expect(again.stdout.split('\n')[0]).toBe(`import: 0 module versions imported, ${summary.versions} already stored, 0 refused`);
    } finally {
      await target.dispose();
    }
  });

  it('is a GOPROXY=file:// tree once unpacked, checksum database included', async () => {
    const fromSum = join(work.path, 'from-sum.tar');
    const exported = await runGomodproxy(['export', '--storage-path', source.path, '--from', join(work.path, 'go.sum'), '--out', fromSum], { GOMODPROXY_SUMDB: db.setting });
    expect(exported.code, exported.stdout).toBe(0);
    const unpacked = await tempFolder('gomodproxy-bundle-unpacked-');
    const home = await makeGoHome({ goproxy: fileProxyUrl(unpacked.path), gosumdb: db.vkey, extra: { GOFLAGS: '-modcacherw -mod=mod' } });
    try {
      execFileSync('tar', ['-xf', fromSum, '-C', unpacked.path]);
      const dir = join(home.home, 'program');
      await mkdir(dir);
      await writeFile(join(dir, 'go.mod'), program.goMod);
      await writeFile(join(dir, 'main.go'), program.mainGo);
      expect((await runGo(['run', '.'], { cwd: dir, env: home.env })).stdout).toBe(program.expectedOutput);
      expect(sortedLines(await readFile(join(dir, 'go.sum'), 'utf8'))).toEqual(sortedLines(program.goSum));
    } finally {
      await home.dispose();
      await unpacked.dispose();
    }
  });

  it('refuses tampered and stray entries one by one, and imports the rest', async () => {
    const tampered = join(work.path, 'tampered.tar');
    const [victim, other] = program.requires as [string, string];
    const [victimPath, victimVersion] = victim.split('@') as [string, string];
    const victimZip = `${escapeCase(victimPath)}/@v/${escapeCase(victimVersion)}.zip`;
    const [otherPath, otherVersion] = other.split('@') as [string, string];
    const otherMod = `${escapeCase(otherPath)}/@v/${escapeCase(otherVersion)}.mod`;
    const otherLookup = `sumdb/localhost/lookup/${escapeCase(otherPath)}@${escapeCase(otherVersion)}`;
    // One zip has a byte flipped. Another version's go.mod is changed, and the manifest and its
    // checksum database record are changed to match: only the record's inclusion proof can tell.
    const entries = await readTar(bundle);
    const oldModHash = hashGoMod(entries.find((e) => e.name === otherMod)!.data);
    const newMod = Buffer.concat([entries.find((e) => e.name === otherMod)!.data, Buffer.from('// changed\n')]);
    const newModHash = hashGoMod(newMod);
    const replaced = entries.map(({ name, data }) => {
      if (name === victimZip) {
        const flipped = Buffer.from(data);
        flipped[flipped.length - 30] = flipped[flipped.length - 30]! ^ 0xff;
        return { name, data: flipped };
      }
      if (name === otherMod) return { name, data: newMod };
      if (name === 'gomodproxy-bundle.sum' || name === otherLookup) return { name, data: Buffer.from(data.toString('utf8').replace(`${otherVersion}/go.mod ${oldModHash}`, `${otherVersion}/go.mod ${newModHash}`)) };
      return { name, data };
    });
    expect(replaced.filter((e, i) => !e.data.equals(entries[i]!.data)).map((e) => e.name).sort()).toEqual(['gomodproxy-bundle.sum', otherLookup, otherMod, victimZip].sort());
    await writeTar(tampered, [...replaced, { name: '../escape.txt', data: Buffer.from('x') }]);

    const target = await tempFolder('gomodproxy-bundle-target-');
    try {
      const imported = await importInto(target.path, tampered, '--json');
      expect(imported.code).toBe(1);
      const summary = JSON.parse(imported.stdout) as { imported: number; refused: Array<{ entry: string; reasons: string[] }> };
      expect(summary.refused.map((r) => r.entry).sort()).toEqual(['../escape.txt', victim, other].sort());
      expect(summary.refused.find((r) => r.entry === victim)!.reasons.join(' ')).toMatch(/zip for \S+ refused|manifest says/);
      expect(summary.refused.find((r) => r.entry === other)!.reasons.join(' ')).toMatch(/SECURITY ERROR: the checksum database record the bundle carries for \S+ is not record \d+ of the database's signed tree \(the inclusion proof fails\)/);
      expect(summary.imported).toBeGreaterThan(0);
      const proxy = await startTestProxy({ upstream: 'off', storagePath: target.path, sumdb: unreachable });
      try {
        expect((await fetch(`${proxy.url}/${victimZip}`)).status).toBe(404);
        expect((await fetch(`${proxy.url}/${otherMod}`)).status).toBe(404);
        const [thirdPath, thirdVersion] = program.requires[2]!.split('@') as [string, string];
        expect((await fetch(`${proxy.url}/${escapeCase(thirdPath)}/@v/${escapeCase(thirdVersion)}.zip`)).status).toBe(200);
      } finally {
        await proxy.dispose();
      }
    } finally {
      await target.dispose();
    }
  });

  it('refuses every version when a tile of the proof was changed, and then does not claim the database', async () => {
    const entries = await readTar(bundle);
    const tiles = entries.filter((e) => e.name.startsWith('sumdb/localhost/tile/'));
    expect(tiles.length).toBeGreaterThan(1);
    const tampered = join(work.path, 'tampered-tile.tar');
    await writeTar(
      tampered,
      entries.map(({ name, data }) => {
        if (name !== 'sumdb/localhost/tile/8/1/000.p/1') return { name, data };
        const flipped = Buffer.from(data);
        flipped[0] = flipped[0]! ^ 0x01;
        return { name, data: flipped };
      }),
    );
    const target = await tempFolder('gomodproxy-bundle-target-');
    try {
      const imported = await importInto(target.path, tampered, '--json');
      expect(imported.code).toBe(1);
      const summary = JSON.parse(imported.stdout) as { imported: number; refused: Array<{ entry: string; reasons: string[] }> };
      expect(summary.imported).toBe(0);
      expect(summary.refused.length).toBeGreaterThanOrEqual(program.requires.length);
      for (const r of summary.refused) expect(r.reasons.join(' ')).toMatch(/cannot be proved in its tree: downloaded inconsistent tile/);
      // It holds no tree of the database and cannot reach it: /supported says so, so the go command falls back on its own rule.
      const proxy = await startTestProxy({ upstream: 'off', storagePath: target.path, sumdb: unreachable });
      try {
        const supported = await fetch(`${proxy.url}/sumdb/localhost/supported`);
        expect(supported.status).toBe(404);
        expect(await supported.text()).toMatch(/holds no tree of checksum database localhost and cannot reach it/);
      } finally {
        await proxy.dispose();
      }
    } finally {
      await target.dispose();
    }
  });

  it('lets the go command fall back along GOPROXY when a proxy holds no tree of the database and cannot reach it', async () => {
    // The first proxy has nothing: it answers 404 for the modules and for /sumdb/localhost/supported,
    // so the go command reaches both through the next one, as its rule says (cmd/go modfetch/sumdb.go).
    const empty = await startTestProxy({ upstream: 'off', sumdb: unreachable });
    const online = await startTestProxy({ upstream: fileProxyUrl(tree.path), sumdb: db.setting });
    const home = await makeGoHome({ goproxy: `${empty.url},${online.url}`, gosumdb: db.vkey });
    try {
      expect((await fetch(`${empty.url}/sumdb/localhost/supported`)).status).toBe(404);
      const results = await goModDownloadJson(program.requires, { env: home.env });
      expect(results.map((r) => r.Error ?? 'ok')).toEqual(program.requires.map(() => 'ok'));
    } finally {
      await home.dispose();
      await online.dispose();
      await empty.dispose();
    }
  });

  it('still imports a bundle of format 1 (no proof), reporting the versions not checked', async () => {
    const entries = await readTar(bundle);
    const old = join(work.path, 'format1.tar');
    await writeTar(old, entries.filter((e) => e.name !== 'gomodproxy-bundle.json' && !e.name.startsWith('sumdb/')));
    const target = await tempFolder('gomodproxy-bundle-target-');
    try {
      const imported = await importInto(target.path, old);
      expect(imported.code).toBe(0);
      const versions = entries.filter((e) => e.name.endsWith('.mod')).length;
      expect(imported.stdout).toBe(
        `import: ${versions} module versions imported, 0 already stored, 0 refused; ${versions} not checked against the checksum database (it could not be reached)\n`,
      );
      expect(await runProgramFromStoreOnly(target.path)).toBe(program.expectedOutput);
    } finally {
      await target.dispose();
    }
  });

  it('refuses a bundle of a newer format, changing nothing', async () => {
    const entries = await readTar(bundle);
    const newer = join(work.path, 'format9.tar');
    await writeTar(
      newer,
      entries.map((e) => (e.name === 'gomodproxy-bundle.json' ? { name: e.name, data: Buffer.from(e.data.toString('utf8').replace(/"format": 2/, '"format": 9')) } : e)),
    );
    const target = await tempFolder('gomodproxy-bundle-target-');
    try {
      const imported = await importInto(target.path, newer);
      expect(imported.code).toBe(2);
      expect(imported.stderr).toMatch(/a bundle of format 9, written by a newer gomodproxy; this one reads formats 1 to 2/);
      expect((await snapshot(target.path)).size).toBe(0);
    } finally {
      await target.dispose();
    }
  });

  it('says what is wrong with the command line', async () => {
    const none = await runGomodproxy(['export', '--storage-path', source.path, '--out', bundle]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/exactly one of --from <go\.sum>, --all or --module <patterns>/);
    const since = await runGomodproxy(['export', '--storage-path', source.path, '--all', '--since', 'last week', '--out', bundle]);
    expect(since.code).toBe(2);
    expect(since.stderr).toMatch(/--since "last week" is neither a bundle file nor a date/);
    const offline = await runGomodproxy(['export', '--storage-path', source.path, '--all', '--out', join(work.path, 'never.tar')], { GOMODPROXY_SUMDB: unreachable });
    expect(offline.code).toBe(1);
    expect(offline.stderr).toMatch(/checksum database localhost at \S+ cannot be reached for \/latest: .*: the bundle would carry no proof for its versions; export where the database can be reached, or with sumdb: off/);
    const notTar = await runGomodproxy(['import', '--storage-path', source.path, '--upstream', 'off', join(work.path, 'go.mod')]);
    expect(notTar.code).toBe(2);
    expect(notTar.stderr).toMatch(/go\.mod is not a readable tar: /);
  });

  describe('incremental bundles (--since) and the tree timeline', () => {
    let incrementalSource: Folder;
    let first: string;
    let second: string;
    let secondSummary: { versions: number; checksumDatabase: { treeSize: number } };
    let target: Folder;
    /** A time after the first bundle's versions were stored and before the rest were. */
    let between: Date;

    beforeAll(async () => {
      incrementalSource = await tempFolder('gomodproxy-bundle-incremental-');
      target = await tempFolder('gomodproxy-bundle-incremental-target-');
      first = join(work.path, 'first.tar');
      second = join(work.path, 'second.tar');
      // The first bundle: part of the program's graph.
      const partial = join(work.path, 'partial.mod');
      const [basePath, baseVersion] = program.requires[0]!.split('@') as [string, string];
      await writeFile(partial, `module example.test/partial\n\ngo 1.21\n\nrequire ${basePath} ${baseVersion}\n`);
      const prefetch = (goMod: string) =>
        runGomodproxy(['prefetch', '--storage-path', incrementalSource.path, '--upstream', fileProxyUrl(tree.path), goMod], { GOMODPROXY_SUMDB: db.setting });
      expect((await prefetch(partial)).code).toBe(0);
      const exported = await runGomodproxy(['export', '--storage-path', incrementalSource.path, '--all', '--out', first], { GOMODPROXY_SUMDB: db.setting });
      expect(exported.code, exported.stderr).toBe(0);
      between = new Date();
    });
    afterAll(async () => {
      await target?.dispose();
      await incrementalSource?.dispose();
    });

    it('writes only what is new, with the newer tree head and the tiles that show it extends the earlier one', async () => {
      // The database grows (past a tile boundary) and the store fetches the rest of the program.
      await db.add(fillerRecords(300, 300));
      const prefetch = await runGomodproxy(['prefetch', '--storage-path', incrementalSource.path, '--upstream', fileProxyUrl(tree.path), join(work.path, 'go.mod')], {
        GOMODPROXY_SUMDB: db.setting,
      });
      expect(prefetch.code, prefetch.stderr).toBe(0);
      const exported = await runGomodproxy(['export', '--storage-path', incrementalSource.path, '--all', '--since', first, '--out', second, '--json'], {
        GOMODPROXY_SUMDB: db.setting,
      });
      expect(exported.code, exported.stderr).toBe(0);
      secondSummary = JSON.parse(exported.stdout);
      const full = join(work.path, 'full-now.tar');
      const fullExport = await runGomodproxy(['export', '--storage-path', incrementalSource.path, '--all', '--out', full, '--json'], { GOMODPROXY_SUMDB: db.setting });
      const fullSummary = JSON.parse(fullExport.stdout) as { versions: number };

      const firstNames = new Set((await readTar(first)).filter((e) => e.name.endsWith('.mod')).map((e) => e.name));
      const secondEntries = await readTar(second);
      const secondMods = secondEntries.filter((e) => e.name.endsWith('.mod')).map((e) => e.name);
      expect(secondMods.length).toBeGreaterThan(0);
      expect(secondMods.filter((name) => firstNames.has(name))).toEqual([]);
      expect(secondMods.length + firstNames.size).toBe(fullSummary.versions);
      expect(secondSummary.checksumDatabase.treeSize).toBe(600 + standardCorpus().length);
      expect((await stat(second)).size).toBeLessThan((await stat(full)).size);

      // Imported in order at the air-gapped site, the two are enough for the go command.
      expect((await importInto(target.path, first)).code).toBe(0);
      const imported = await importInto(target.path, second);
      expect(imported.stderr).toMatch(PROGRESS_ONLY);
      expect(imported.code).toBe(0);
      expect(imported.stdout).toMatch(new RegExp(`\\(${secondSummary.checksumDatabase.treeSize} records; extends the tree of ${300 + standardCorpus().length} held here\\)`));
      const built = await buildOffline(target.path);
      expect(built.code, built.stderr).toBe(0);
      expect(built.output).toBe(program.expectedOutput);
      expect(sortedLines(built.goSum)).toEqual(sortedLines(program.goSum));
    });

    it('keeps the newer tree head when an older bundle is imported again', async () => {
      const latest = join(target.path, 'sumdb', 'localhost', 'latest');
      const before = await readFile(latest);
      const again = await importInto(target.path, first);
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(/is part of the newer tree of \d+ held here, which stays\)/);
      expect((await readFile(latest)).equals(before)).toBe(true);
    });

    it('takes a date: what was stored since, and the tiles that show the head extends those of earlier exports', async () => {
      const byDate = join(work.path, 'by-date.tar');
      const exported = await runGomodproxy(['export', '--storage-path', incrementalSource.path, '--all', '--since', between.toISOString(), '--out', byDate], {
        GOMODPROXY_SUMDB: db.setting,
      });
      expect(exported.code, exported.stderr).toBe(0);
      const mods = async (file: string) => (await readTar(file)).filter((e) => e.name.endsWith('.mod')).map((e) => e.name).sort();
      expect(await mods(byDate)).toEqual(await mods(second));
      const fresh = await tempFolder('gomodproxy-bundle-by-date-');
      try {
        expect((await importInto(fresh.path, first)).code).toBe(0);
        const imported = await importInto(fresh.path, byDate);
        expect(imported.code, imported.stdout).toBe(0);
        expect(imported.stdout).toMatch(/extends the tree of \d+ held here\)/);
        const built = await buildOffline(fresh.path);
        expect(built.code, built.stderr).toBe(0);
        expect(sortedLines(built.goSum)).toEqual(sortedLines(program.goSum));
      } finally {
        await fresh.dispose();
      }
    });

    it('refuses whole a bundle whose tree head forks from the one held, changing nothing', async () => {
      await db.fork();
      const forkedSource = await tempFolder('gomodproxy-bundle-forked-');
      try {
        const prefetch = await runGomodproxy(['prefetch', '--storage-path', forkedSource.path, '--upstream', fileProxyUrl(tree.path), join(work.path, 'go.mod')], {
          GOMODPROXY_SUMDB: db.setting,
        });
        expect(prefetch.code, prefetch.stderr).toBe(0);
        const forked = join(work.path, 'forked.tar');
        expect((await runGomodproxy(['export', '--storage-path', forkedSource.path, '--all', '--out', forked], { GOMODPROXY_SUMDB: db.setting })).code).toBe(0);
        const before = await snapshot(target.path);
        const imported = await importInto(target.path, forked, '--json');
        expect(imported.code).toBe(1);
        const summary = JSON.parse(imported.stdout) as { imported: number; refused: Array<{ entry: string; reasons: string[] }> };
        expect(summary.imported).toBe(0);
        expect(summary.refused).toHaveLength(1);
        expect(summary.refused[0]!.entry).toBe(forked);
        expect(summary.refused[0]!.reasons[0]).toMatch(/^SECURITY ERROR: its checksum database tree head is not on one timeline with the one this proxy holds \(a fork\).*nothing was imported$/);
        expect(await snapshot(target.path)).toEqual(before);
      } finally {
        await forkedSource.dispose();
      }
    });
  });
});
