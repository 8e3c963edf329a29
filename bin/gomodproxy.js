#!/usr/bin/env -S node --max-semi-space-size=1
// The installed command. The proxy is TypeScript run by Node's type stripping (Node >= 24);
// the compile cache keeps the stripped and compiled modules between starts.
//
// --max-semi-space-size=1 (MiB): a young generation this small is collected often, which frees
// the buffers of streamed downloads soon after use; with the default, 64 clients fetching a
// 50 MiB zip took the process from ~110 to ~200 MiB, with it to ~120 MiB (bench/memory.ts).
import module from 'node:module';

module.enableCompileCache?.();
await import('../cli/main.ts');
