// Where an idle proxy's memory goes, module by module: RSS of a fresh node process after importing
// a growing list of modules (each step adds one to the ones before), with the flags of
// bin/gomodproxy.js, after a full garbage collection. The step from one row to the next is what
// that module adds to a process that already holds the rest.
//
//   node bench/importMemory.ts [--rounds 3] [--compiled DIR]
//
// --compiled DIR measures our code as the image runs it: JavaScript that
// `npx tsc -p tsconfig.image.json --outDir DIR` wrote (DIR needs a node_modules link to the
// project's); the type-stripping row then imports a compiled file and strips nothing.
//
// Each step runs in its own process; the median of rounds is printed. `serve` itself (listening,
// its caches, one request) is not in these rows: bench/memory.ts measures it.

import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { productionCommand } from '../test/e2e/harness.ts';
import { median } from './results.ts';

const here = new URL('.', import.meta.url);

/** The steps in order: a label and what the step's process imports on top of the steps before. */
function stepsFor(compiled: string | undefined): { label: string; specifiers: string[] }[] {
  const root = compiled === undefined ? new URL('..', here) : pathToFileURL(`${compiled}/`);
  const ext = compiled === undefined ? 'ts' : 'js';
  const ours = (path: string) => new URL(`${path}.${ext}`, root).href;
  const otherCommands = ['audit', 'cleanup', 'export', 'import', 'lifecycle', 'operator', 'policy', 'prefetch'];
  return [
    { label: 'node, nothing imported', specifiers: [] },
    { label: compiled === undefined ? '+ one TypeScript file (type stripping)' : '+ one compiled file (no type stripping)', specifiers: [ours('proxy/modzip/limits')] },
    { label: '+ commander', specifiers: ['commander'] },
    { label: '+ zod', specifiers: ['zod'] },
    { label: '+ undici', specifiers: ['undici'] },
    { label: '+ fastify', specifiers: ['fastify'] },
    { label: '+ our code for `serve` (cli/serve.ts and what it imports)', specifiers: [ours('cli/serve')] },
    { label: '+ the other commands (the rest of what cli/main.ts imports)', specifiers: otherCommands.map((name) => ours(`cli/${name}`)) },
  ];
}

/** RSS in MiB of a process that imports specifiers, measured after a full collection. */
function rssAfterImports(specifiers: string[]): number {
  const { args } = productionCommand();
  const flags = args.slice(0, -1); // the bin's node flags, without the bin itself
  const program = `${specifiers.map((s) => `await import(${JSON.stringify(s)});`).join('')}
    globalThis.gc(); await new Promise((r) => setTimeout(r, 200)); globalThis.gc();
    console.log(process.memoryUsage().rss);`;
  const run = spawnSync(process.execPath, [...flags, '--expose-gc', '--input-type=module', '-e', program], { cwd: new URL('..', here), encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`importing ${specifiers.at(-1)} failed: ${run.stderr}`);
  return Number(run.stdout.trim()) / 2 ** 20;
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { rounds: { type: 'string' }, compiled: { type: 'string' } } });
  const rounds = Number(values.rounds ?? 3);
  const imported: string[] = [];
  let before = 0;
  console.log('| step | RSS | added |\n|---|---:|---:|');
  for (const [i, step] of stepsFor(values.compiled).entries()) {
    imported.push(...step.specifiers);
    const rss = median(Array.from({ length: rounds }, () => rssAfterImports(imported)));
    console.log(`| ${step.label} | ${rss.toFixed(1)} MiB | ${i === 0 ? '' : `${(rss - before).toFixed(1)} MiB`} |`);
    before = rss;
  }
}
