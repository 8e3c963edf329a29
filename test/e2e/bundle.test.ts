// Offline bundles: `gomodproxy export` on one store, `gomodproxy import` into another that has no
// upstream at all, and the go command builds through a proxy on that second store. A damaged or
// tampered bundle is refused entry by entry, and what is valid in it is still imported.
import { execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { extract as tarExtract, pack as tarPack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileProxyUrl, makeGoHome, runGo } from '../fixtures/goCommand.ts';
import { buildableProgram, escapeCase, standardCorpus, writeModuleTree } from '../fixtures/moduleTree.ts';
import { startChecksumDatabase, type ChecksumDatabaseServer } from '../fixtures/sumdbServer.ts';
import { runGomodproxy, runProgramFromStoreOnly, startTestProxy, tempFolder } from './harness.ts';

type Folder = { path: string; dispose(): Promise<void> };

describe('offline bundles', () => {
  const program = buildableProgram();
  let tree: Folder;
  let work: Folder;
  let source: Folder;
  let db: ChecksumDatabaseServer;
  let bundle: string;

  beforeAll(async () => {
    tree = await tempFolder('gomodproxy-bundle-tree-');
    work = await tempFolder('gomodproxy-bundle-work-');
    source = await tempFolder('gomodproxy-bundle-source-');
    await writeModuleTree(tree.path, standardCorpus());
    db = await startChecksumDatabase();
    await db.addFixtures(standardCorpus());
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

  it('exports a store, imports it where there is no upstream, and the program builds', async () => {
    const exported = await runGomodproxy(['export', '--storage-path', source.path, '--all', '--out', bundle, '--json']);
    expect(exported.code, exported.stderr).toBe(0);
    const summary = JSON.parse(exported.stdout) as { versions: number; missing: string[] };
    expect(summary.missing).toEqual([]);
    expect(summary.versions).toBeGreaterThanOrEqual(program.requires.length);

    const target = await tempFolder('gomodproxy-bundle-target-');
    try {
      const imported = await runGomodproxy(['import', '--storage-path', target.path, '--upstream', 'off', bundle], { GOMODPROXY_SUMDB: db.setting });
      // Off a terminal stderr has progress lines only, the last one the closing line.
      expect(imported.stderr).toMatch(/^(import: [^\n]*\n)*import: finished (\d+)\/\2 in \S+, [\d.]+ (B|KiB|MiB) at [^\n]*\n$/);
      expect(imported.code).toBe(0);
      expect(imported.stdout).toBe(`import: ${summary.versions} module versions imported, 0 already stored, 0 refused\n`);
      expect(await runProgramFromStoreOnly(target.path)).toBe(program.expectedOutput);

      const again = await runGomodproxy(['import', '--storage-path', target.path, '--upstream', 'off', bundle]);
      expect(again.stdout).toBe(`import: 0 module versions imported, ${summary.versions} already stored, 0 refused\n`);
    } finally {
      await target.dispose();
    }
  });

  it('is a GOPROXY=file:// tree once unpacked', async () => {
    const fromSum = join(work.path, 'from-sum.tar');
    const exported = await runGomodproxy(['export', '--storage-path', source.path, '--from', join(work.path, 'go.sum'), '--out', fromSum]);
    expect(exported.code, exported.stdout).toBe(0);
    const unpacked = await tempFolder('gomodproxy-bundle-unpacked-');
    const home = await makeGoHome({ goproxy: fileProxyUrl(unpacked.path) });
    try {
      execFileSync('tar', ['-xf', fromSum, '-C', unpacked.path]);
      const dir = join(home.home, 'program');
      await mkdir(dir);
      await writeFile(join(dir, 'go.mod'), program.goMod);
      await writeFile(join(dir, 'go.sum'), program.goSum);
      await writeFile(join(dir, 'main.go'), program.mainGo);
      expect((await runGo(['run', '.'], { cwd: dir, env: home.env })).stdout).toBe(program.expectedOutput);
    } finally {
      await home.dispose();
      await unpacked.dispose();
    }
  });

  it('refuses tampered and stray entries one by one, and imports the rest', async () => {
    const tampered = join(work.path, 'tampered.tar');
    const [victim] = program.requires;
    const [victimPath, victimVersion] = victim!.split('@') as [string, string];
    const victimZip = `${escapeCase(victimPath)}/@v/${escapeCase(victimVersion)}.zip`;
    let changedZip = false;
    // Copy the bundle, flipping one byte in one zip and adding an entry outside the layout.
    const extract = tarExtract();
    const pack = tarPack();
    const writing = pipeline(pack, createWriteStream(tampered));
    const reading = pipeline(createReadStream(bundle), extract);
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      let data = Buffer.concat(chunks);
      if (entry.header.name === victimZip) {
        data = Buffer.from(data);
        data[data.length - 30] = data[data.length - 30]! ^ 0xff;
        changedZip = true;
      }
      pack.entry({ name: entry.header.name, size: data.length }, data);
    }
    pack.entry({ name: '../escape.txt' }, 'x');
    pack.finalize();
    await reading;
    await writing;
    expect(changedZip).toBe(true);

    const target = await tempFolder('gomodproxy-bundle-target-');
    try {
      const imported = await runGomodproxy(['import', '--storage-path', target.path, '--upstream', 'off', tampered, '--json']);
      expect(imported.code).toBe(1);
      const summary = JSON.parse(imported.stdout) as { imported: number; refused: Array<{ entry: string; reasons: string[] }> };
      expect(summary.refused.map((r) => r.entry).sort()).toEqual(['../escape.txt', victim].sort());
      expect(summary.refused.find((r) => r.entry === victim)!.reasons.join(' ')).toMatch(/zip for \S+ refused|manifest says/);
      expect(summary.imported).toBeGreaterThan(0);
      const proxy = await startTestProxy({ upstream: 'off', storagePath: target.path });
      try {
        expect((await fetch(`${proxy.url}/${victimZip}`)).status).toBe(404);
        const [otherPath, otherVersion] = program.requires[1]!.split('@') as [string, string];
        expect((await fetch(`${proxy.url}/${escapeCase(otherPath)}/@v/${escapeCase(otherVersion)}.zip`)).status).toBe(200);
      } finally {
        await proxy.dispose();
      }
    } finally {
      await target.dispose();
    }
  });

  it('says what is wrong with the command line', async () => {
    const none = await runGomodproxy(['export', '--storage-path', source.path, '--out', bundle]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/exactly one of --from <go\.sum>, --all or --module <patterns>/);
    const notTar = await runGomodproxy(['import', '--storage-path', source.path, '--upstream', 'off', join(work.path, 'go.mod')]);
    expect(notTar.code).toBe(2);
    expect(notTar.stderr).toMatch(/go\.mod is not a readable tar: /);
  });
});
