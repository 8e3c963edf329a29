// Sizes of offline bundles with the checksum database proof, side by side: a full export after the
// database grew, an incremental export --since the first bundle, and the proof's share of each.
// Everything on 127.0.0.1: the fixture corpus as a file:// upstream and the test checksum database.
// Run: node_modules/.bin/node bench/bundleSizes.ts (not part of `npm run bench`: sizes, not times).
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { extract as tarExtract } from 'tar-stream';
import { fileProxyUrl } from '../test/fixtures/goCommand.ts';
import { buildableProgram, standardCorpus, writeModuleTree } from '../test/fixtures/moduleTree.ts';
import { startChecksumDatabase } from '../test/fixtures/sumdbServer.ts';
import { runGomodproxy } from '../test/e2e/harness.ts';

const filler = (n: number, from: number) =>
  Array.from({ length: n }, (_, i) => ({ path: `example.com/filler/m${from + i}`, version: 'v1.0.0', zipHash: `h1:${Buffer.alloc(32, 7).toString('base64')}`, modHash: `h1:${Buffer.alloc(32, 7).toString('base64')}` }));

async function proofBytes(file: string): Promise<{ proof: number; entries: number }> {
  let proof = 0;
  let entries = 0;
  const extract = tarExtract();
  const reading = pipeline(createReadStream(file), extract);
  for await (const entry of extract) {
    entries++;
    if (entry.header.name.startsWith('sumdb/')) proof += entry.header.size ?? 0;
    entry.resume();
  }
  await reading;
  return { proof, entries };
}

const dir = await mkdtemp(join(tmpdir(), 'gomodproxy-bench-bundles-'));
const db = await startChecksumDatabase();
try {
  const program = buildableProgram();
  await writeModuleTree(join(dir, 'tree'), standardCorpus());
  await db.add(filler(100_000, 0));
  await db.addFixtures(standardCorpus());
  const env = { GOMODPROXY_SUMDB: db.setting };
  const store = join(dir, 'store');
  const run = async (args: string[]) => {
    const result = await runGomodproxy(args, env);
    if (result.code !== 0) throw new Error(`${args.join(' ')}: ${result.stderr}${result.stdout}`);
  };
  const [basePath, baseVersion] = program.requires[0]!.split('@') as [string, string];
  await writeFile(join(dir, 'partial.mod'), `module example.test/partial\n\ngo 1.21\n\nrequire ${basePath} ${baseVersion}\n`);
  await writeFile(join(dir, 'go.mod'), program.goMod);
  await run(['prefetch', '--storage-path', store, '--upstream', fileProxyUrl(join(dir, 'tree')), join(dir, 'partial.mod')]);
  await run(['export', '--storage-path', store, '--all', '--out', join(dir, 'first.tar')]);
  await db.add(filler(5_000, 100_000));
  await run(['prefetch', '--storage-path', store, '--upstream', fileProxyUrl(join(dir, 'tree')), join(dir, 'go.mod')]);
  await run(['export', '--storage-path', store, '--all', '--since', join(dir, 'first.tar'), '--out', join(dir, 'second.tar')]);
  await run(['export', '--storage-path', store, '--all', '--out', join(dir, 'full.tar')]);
  const rows = [];
  for (const name of ['first', 'second', 'full']) {
    const file = join(dir, `${name}.tar`);
    const { size } = await stat(file);
    const { proof, entries } = await proofBytes(file);
    rows.push({ name, bytes: size, entries, proofBytes: proof });
  }
  const [, second, full] = rows;
  console.log(`Checksum database of ${100_000 + standardCorpus().length} records for the first bundle, ${105_000 + standardCorpus().length} for the others.\n`);
  console.log('| bundle | bytes | entries | proof bytes (sumdb/) |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const r of rows) console.log(`| ${r.name} | ${r.bytes} | ${r.entries} | ${r.proofBytes} |`);
  console.log(`\nsecond (--since first) / full: ${(second!.bytes / full!.bytes).toFixed(2)} in bytes, ${(second!.proofBytes / full!.proofBytes).toFixed(2)} in proof bytes`);
} finally {
  await db.close();
  await rm(dir, { recursive: true, force: true });
}
