/**
 * The Node flags and C allocator settings each command runs with. Both must be in place before the
 * process starts, so bin/gomodproxy.js executes node again, once, with what is missing
 * (`process.execve`: the same process and PID, so tini's signals still reach it).
 *
 * `serve` is a long-running server, judged by its memory while idle and under load; the batch
 * commands (cleanup, export, import, prefetch, …) are judged by their time, and run with V8's and
 * the C library's defaults (a quarter of cleanup's CPU was garbage collection under serve's young
 * generation). Measured in bench/README.md ("Where the idle memory goes").
 *
 * A flag or variable the user gives (on node's command line, in NODE_OPTIONS or in the
 * environment) wins over ours.
 */

export type ProcessSettings = {
  /** Flags for node, e.g. "--max-semi-space-size=1". */
  nodeFlags: string[];
  /** Environment variables read by the C library when the process starts. */
  environment: Record<string, string>;
};

/**
 * `serve`'s node flags (measured one by one in bench/README.md, "Where the idle memory goes"):
 * --max-semi-space-size=1 (MiB): a young generation this small is collected often, which frees the
 *   buffers of streamed downloads soon after use; with the default, 64 clients fetching a 50 MiB zip
 *   took the process from ~110 to ~200 MiB, with it to ~120 MiB (bench/memory.ts).
 * --max-opt=2: V8's optimizing tiers stop at Maglev; TurboFan's code is never run, so its pages of
 *   the node binary are never read into memory: 5 MiB less at rest and under load, at the same CPU
 *   time per cached `.info` and per MB of zip (bench/serveSettings.ts). (--max-opt=1, no Maglev
 *   either, saves 4 MiB more but doubles the CPU time per request.)
 */
const serveNodeFlags = ['--max-semi-space-size=1', '--max-opt=2'];

/**
 * `serve`'s environment for node itself.
 * NODE_DISABLE_COMPILE_CACHE=1: the compile cache (which bin/gomodproxy.js turns on, and the image
 * through NODE_COMPILE_CACHE) keeps every module's cached code in memory for the life of the
 * process, about 3 MiB of an idle serve; serve compiles its modules once at start-up instead.
 */
const serveNodeEnvironment: Record<string, string> = { NODE_DISABLE_COMPILE_CACHE: '1' };

/**
 * `serve`'s glibc malloc settings (Linux only: other C libraries ignore or lack them).
 * MALLOC_ARENA_MAX=2: every thread that allocates (V8's and libuv's workers) would otherwise get an
 *   arena of its own, each keeping what it once held.
 * Not MALLOC_MMAP_THRESHOLD_=65536, which makes each socket read of 64 KiB a mapping of its own,
 * unmapped when freed: it lowered the peaks of 64 clients (warm on disk 126 -> 104 MiB, S3 cold
 * 178 -> 154 MiB) but made the S3 phases take 1.5-2 times as long (bench/README.md). A user who
 * wants it sets it: a variable already set is left alone.
 */
const serveAllocatorEnvironment: Record<string, string> = { MALLOC_ARENA_MAX: '2' };

/** What the command in argv (node, script, command, …) runs with. */
export function processSettingsFor(argv: readonly string[], platform: NodeJS.Platform): ProcessSettings {
  if (argv[2] !== 'serve') return { nodeFlags: [], environment: {} };
  return { nodeFlags: serveNodeFlags, environment: { ...serveNodeEnvironment, ...(platform === 'linux' && serveAllocatorEnvironment) } };
}

/** A flag's name: "--max-semi-space-size" of "--max-semi-space-size=1"; V8 reads _ and - alike. */
function flagName(flag: string): string {
  return flag.split('=')[0]!.replaceAll('_', '-');
}

/**
 * The node command line and environment to execute again with, or null when nothing is missing.
 * execArgv and NODE_OPTIONS are what this process runs with; a flag of the same name there, or a
 * variable already set, is left as the user gave it.
 */
export function reexecution(
  settings: ProcessSettings,
  current: { execPath: string; execArgv: readonly string[]; argv: readonly string[]; env: NodeJS.ProcessEnv },
): { args: string[]; env: Record<string, string> } | null {
  const given = new Set([...current.execArgv, ...(current.env['NODE_OPTIONS'] ?? '').split(/\s+/)].filter((arg) => arg.startsWith('--')).map(flagName));
  const flags = settings.nodeFlags.filter((flag) => !given.has(flagName(flag)));
  const variables = Object.entries(settings.environment).filter(([name]) => current.env[name] === undefined);
  if (flags.length === 0 && variables.length === 0) return null;
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(current.env)) if (value !== undefined) env[name] = value;
  for (const [name, value] of variables) env[name] = value;
  return { args: [current.execPath, ...flags, ...current.execArgv, ...current.argv.slice(1)], env };
}
