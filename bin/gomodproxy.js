#!/usr/bin/env node
// The installed command. A checkout runs the TypeScript sources by Node's type stripping
// (Node >= 24); the image ships them bundled into JavaScript beside this folder (dist/main.js,
// scripts/buildProgram.ts), which spares each process the type stripper's memory. The compile
// cache keeps compiled modules between starts.
//
// Each command runs with the node flags and C allocator settings of cli/processSettings.ts. They
// must be in place when node starts, so when one is missing this process executes node again
// with it, once: execve keeps the PID, standard input, output and error. Where execve is not
// available (Windows), the command runs with node's defaults.
import { existsSync } from 'node:fs';
import module from 'node:module';

module.enableCompileCache?.();
const bundled = existsSync(new URL('../dist/main.js', import.meta.url));
const cliModule = (name) => new URL(bundled ? `../dist/${name}.js` : `../cli/${name}.ts`, import.meta.url).href;

const { processSettingsFor, reexecution } = await import(cliModule('processSettings'));
const again = reexecution(processSettingsFor(process.argv, process.platform), process);
if (again !== null && typeof process.execve === 'function' && process.platform !== 'win32') {
  try {
    process.execve(process.execPath, again.args, again.env);
  } catch {
    // execve refused (say, a seccomp policy): run as we are, with node's defaults.
  }
}
await import(cliModule('main'));
