// Where an idle proxy's memory goes, module by module: RSS of a fresh node process after importing
// a growing list of modules (each step adds one to the ones before), with the node flags and
// allocator settings `serve` runs with (cli/processSettings.ts), after a full garbage collection.
// The step from one row to the next is what that module adds to a process that already holds the
// rest.
//
//   node bench/importMemory.ts [--rounds 3] [--compiled DIR]
//
// --compiled DIR measures our code compiled file by file to JavaScript, without type stripping:
// what `npx tsc --noEmit false --rootDir . --outDir DIR` wrote (DIR needs a node_modules link to
// the project's); the type-stripping row then imports a compiled file and strips nothing. (The
// image runs one bundle instead, which holds less: bench/memory.ts measures it.)
//
// Each step runs in its own process; the median of rounds is printed. `serve` itself (listening,
// its caches, one request) is not in these rows: bench/memory.ts measures it.

import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { processSettingsFor } from '../cli/processSettings.ts';
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
    { label: '+ pino', specifiers: ['pino'] },
    { label: '+ fastify', specifiers: ['fastify'] },
    { label: '+ our code for `serve` (cli/serve.ts, proxy/serve.ts and what they import)', specifiers: [ours('cli/serve'), ours('proxy/serve')] },
    { label: "+ the other commands' flags (the rest of what cli/main.ts imports; their code loads when they run)", specifiers: otherCommands.map((name) => ours(`cli/${name}`)) },
    { label: '+ undici (loaded at the first request to an upstream)', specifiers: ['undici'] },
  ];
}

type Rss = { rss: number; anon: number; file: number; heap: number };

/**
 * RSS in MiB of a process that imports specifiers, measured after a full collection: all of it,
 * its anonymous part (heaps, code, buffers), its file-backed part (pages of the node binary and
 * the libraries mapped into the process, shared with other processes), and the V8 heap in use.
 */
function rssAfterImports(specifiers: string[]): Rss {
  const { nodeFlags, environment } = processSettingsFor(['node', 'gomodproxy', 'serve'], process.platform);
  const program = `${specifiers.map((s) => `await import(${JSON.stringify(s)});`).join('')}
    globalThis.gc(); await new Promise((r) => setTimeout(r, 200)); globalThis.gc();
    const status = (await import('node:fs')).readFileSync('/proc/self/status', 'utf8');
    const kib = (field) => Number(new RegExp(field + ':\\\\s+(\\\\d+)').exec(status)[1]) * 1024;
    console.log(JSON.stringify({ rss: kib('VmRSS'), anon: kib('RssAnon'), file: kib('RssFile'), heap: process.memoryUsage().heapUsed }));`;
  const run = spawnSync(process.execPath, [...nodeFlags, '--expose-gc', '--input-type=module', '-e', program], {
    cwd: new URL('..', here),
    env: { ...environment, ...process.env },
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`importing ${specifiers.at(-1)} failed: ${run.stderr}`);
  const bytes = JSON.parse(run.stdout.trim()) as Rss;
  return { rss: bytes.rss / 2 ** 20, anon: bytes.anon / 2 ** 20, file: bytes.file / 2 ** 20, heap: bytes.heap / 2 ** 20 };
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { rounds: { type: 'string' }, compiled: { type: 'string' } } });
  const rounds = Number(values.rounds ?? 3);
  const imported: string[] = [];
  let before = 0;
  console.log('| step | RSS | added | anonymous | file-backed | V8 heap used |\n|---|---:|---:|---:|---:|---:|');
  for (const [i, step] of stepsFor(values.compiled).entries()) {
    imported.push(...step.specifiers);
    const runs = Array.from({ length: rounds }, () => rssAfterImports(imported));
    const of = (field: keyof Rss) => median(runs.map((r) => r[field])).toFixed(1);
    const rss = median(runs.map((r) => r.rss));
    console.log(`| ${step.label} | ${rss.toFixed(1)} MiB | ${i === 0 ? '' : `${(rss - before).toFixed(1)} MiB`} | ${of('anon')} | ${of('file')} | ${of('heap')} |`);
    before = rss;
  }
}
