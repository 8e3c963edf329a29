#!/usr/bin/env -S node --max-semi-space-size=1
// The installed command. A checkout runs the TypeScript sources by Node's type stripping
// (Node >= 24); the image ships them compiled to JavaScript beside this folder (cli/main.js), which
// spares each process the type stripper's memory. The compile cache keeps compiled modules
// between starts.
//
// --max-semi-space-size=1 (MiB): a young generation this small is collected often, which frees
// the buffers of streamed downloads soon after use; with the default, 64 clients fetching a
// 50 MiB zip took the process from ~110 to ~200 MiB, with it to ~120 MiB (bench/memory.ts).
import { existsSync } from 'node:fs';
import module from 'node:module';

module.enableCompileCache?.();
const compiled = new URL('../cli/main.js', import.meta.url);
await import(existsSync(compiled) ? compiled.href : '../cli/main.ts');
