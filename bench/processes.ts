// The processes a benchmark measures, each in its own child process so that it does not share an
// event loop (or a heap) with the benchmark driver: the proxy as `node bin/gomodproxy.js serve`,
// configured through GOMODPROXY_* variables as a user would (and a --config file for what has no
// variable, such as the git host map), and a plain node:http static
// file server as the floor to compare it with.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { request } from 'undici';
import type { Cleanup } from './cleanup.ts';
import { productionCommand } from '../test/e2e/harness.ts';

export const repositoryRoot = join(import.meta.dirname, '..');

export type ChildServer = {
  /** http://127.0.0.1:port */
  url: string;
  pid: number;
  child: ChildProcess;
  /** Milliseconds from spawn to the first 200 of the readiness path. */
  readyMs: number;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  stop(): Promise<void>;
};

export type ProxyProcessOptions = {
  /** GOMODPROXY_UPSTREAM: file://… or http://127.0.0.1:… or "off"; never a public proxy. */
  upstream: string;
  /** GOMODPROXY_STORAGE_PATH; leave it out for other storage, set through `env`. */
  storagePath?: string;
  /** GOMODPROXY_LOG_LEVEL (default warn: one log line per request would be measured too). */
  logLevel?: string;
  /** How often readiness is polled while starting, in milliseconds. */
  pollMs?: number;
  /** Flags for node itself, e.g. ["--cpu-prof"] to see where the time goes. */
  nodeArgs?: string[];
  /**
   * The gomodproxy command to run instead of the checkout's bin/gomodproxy.js, with the same node
   * flags: e.g. the bin of a bundled copy (`<dir>/bin/gomodproxy.js`, `node scripts/buildProgram.ts <dir>`), which runs JavaScript as the image does.
   */
  program?: string;
  /** More environment variables for the proxy process (e.g. NODE_COMPILE_CACHE). */
  env?: Record<string, string>;
  /**
   * Arguments after `serve`, e.g. ["--config", file] for settings no GOMODPROXY_* variable holds
   * (the git host map). The environment still overrides the file.
   */
  serveArgs?: string[];
};

/** Spawns the production command line (`bin/gomodproxy.js serve`) and waits until GET /readyz answers 200. */
export async function spawnProxyProcess(cleanup: Cleanup, options: ProxyProcessOptions): Promise<ChildServer> {
  checkLocalUpstream(options.upstream);
  return spawnServer(cleanup, {
    what: 'gomodproxy',
    args: [...(options.nodeArgs ?? []), ...productionArgs(options.program), 'serve', ...(options.serveArgs ?? [])],
    readyPath: '/readyz',
    pollMs: options.pollMs ?? 2,
    env: (port) => ({
      GOMODPROXY_LISTEN: `127.0.0.1:${port}`,
      GOMODPROXY_UPSTREAM: options.upstream,
      ...(options.storagePath !== undefined && { GOMODPROXY_STORAGE_PATH: options.storagePath }),
      GOMODPROXY_LOG_LEVEL: options.logLevel ?? 'warn',
      // The proxy's default checksum database is public; benchmarks never reach it.
      GOMODPROXY_SUMDB: 'off',
      // Nor its public vulnerability database.
      GOMODPROXY_VULNDB_URL: 'off',
      // The benchmarks' git hosts are on 127.0.0.1, which `direct` refuses by default.
      GOMODPROXY_DIRECT_ALLOW_INTERNAL: '127.0.0.1',
      ...options.env,
    }),
  });
}

/** The production command's bin, or `program` instead (which gives itself the same node flags). */
function productionArgs(program: string | undefined): string[] {
  return program === undefined ? productionCommand().args : [program];
}

/**
 * Builds the program as the image runs it (scripts/buildProgram.ts: one bundle, no node_modules)
 * into a temporary folder and returns that folder; its bin/gomodproxy.js is a `program` above.
 */
export async function buildBundledProgram(cleanup: Cleanup): Promise<string> {
  const folder = await cleanup.tempFolder('gomodproxy-bench-program-');
  const built = spawnSync(process.execPath, [join(repositoryRoot, 'scripts', 'buildProgram.ts'), folder], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`scripts/buildProgram.ts failed (exit ${built.status}): ${built.stderr}`);
  return folder;
}

/**
 * A copy of bench/<name>.ts as plain JavaScript in a temporary folder, its types stripped once here:
 * a floor run by Node's type stripper would carry about 30 MiB that the proxy, bundled as in the
 * image, does not. The copy has no node_modules beside it.
 */
export async function plainJavaScriptCopy(cleanup: Cleanup, name: string): Promise<string> {
  const program = join(await cleanup.tempFolder(`gomodproxy-bench-${name}-`), `${name}.mjs`);
  writeFileSync(program, stripTypeScriptTypes(readFileSync(join(repositoryRoot, 'bench', `${name}.ts`), 'utf8')));
  return program;
}

/**
 * Spawns bench/staticFileServer.ts serving root: the floor a proxy's cached answer is compared
 * with, or (with delayMs) a local upstream that answers like a remote one; with fromMemory, each
 * file is read once and then answered from memory (the ceiling of one Node event loop). It runs as
 * plain JavaScript (plainJavaScriptCopy).
 */
export async function spawnStaticFileServer(cleanup: Cleanup, root: string, delayMs = 0, fromMemory = false): Promise<ChildServer> {
  const program = await plainJavaScriptCopy(cleanup, 'staticFileServer');
  return spawnServer(cleanup, {
    what: 'static file server',
    args: [program, root],
    readyPath: '/',
    pollMs: 5,
    env: (port) => ({ STATIC_LISTEN_PORT: String(port), STATIC_DELAY_MS: String(delayMs), STATIC_FROM_MEMORY: fromMemory ? '1' : '0' }),
  });
}

export type SpawnOptions = {
  what: string;
  /** The program (default: this node). */
  command?: string;
  /** Its arguments, or a function of the port it is to listen on. */
  args: string[] | ((port: number) => string[]);
  readyPath: string;
  pollMs: number;
  env: (port: number) => Record<string, string>;
};

// Generous: on a machine loaded by other work (load 20 on 2 cores) a start can take 10 s and more.
const START_TIMEOUT_MS = 120_000;

export async function spawnServer(cleanup: Cleanup, options: SpawnOptions): Promise<ChildServer> {
  // The port is chosen here rather than read from a log line, so that the proxy can run at log
  // level warn. Another process could take it in between: then try again with another.
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      return await startOnPort(cleanup, options, port);
    } catch (err) {
      lastError = err as Error;
      if (!/EADDRINUSE/.test(lastError.message)) throw lastError;
    }
  }
  throw lastError!;
}

async function startOnPort(cleanup: Cleanup, options: SpawnOptions, port: number): Promise<ChildServer> {
  const started = performance.now();
  const args = typeof options.args === 'function' ? options.args(port) : options.args;
  const child = spawn(options.command ?? process.execPath, args, {
    cwd: repositoryRoot,
    env: { PATH: process.env['PATH'] ?? '', ...options.env(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer): void => {
    // Enough to explain a failure; a long run must not grow this without bound.
    if (output.length < 1 << 20) output += chunk.toString();
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const stop = async (): Promise<void> => {
    process.off('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
  };
  cleanup.defer(`stop ${options.what} (pid ${child.pid})`, stop);

  const url = `http://127.0.0.1:${port}`;
  let exitedEarly = false;
  void exited.then(() => (exitedEarly = true));
  const deadline = started + START_TIMEOUT_MS;
  for (;;) {
    if (exitedEarly) throw new Error(`${options.what} exited (code ${child.exitCode}) before it was ready:\n${output}`);
    if (performance.now() > deadline) {
      await stop();
      throw new Error(`${options.what} was not ready within ${START_TIMEOUT_MS} ms:\n${output}`);
    }
    if (await answers200(url + options.readyPath)) break;
    await sleep(options.pollMs);
  }
  const readyMs = performance.now() - started;
  return { url, pid: child.pid!, child, readyMs, output: () => output, stop };
}

async function answers200(url: string): Promise<boolean> {
  try {
    const response = await request(url, { headersTimeout: 2_000, bodyTimeout: 2_000 });
    await response.body.dump();
    return response.statusCode === 200;
  } catch {
    return false;
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Throws unless every GOPROXY-style entry of upstream is off, file:/// or http on loopback. */
export function checkLocalUpstream(upstream: string): void {
  for (const entry of upstream.split(/[,|]/)) {
    if (entry === 'off' || entry.startsWith('file:///')) continue;
    const host = URL.canParse(entry) ? new URL(entry).hostname : '';
    if (host === '127.0.0.1' || host === '[::1]' || host === 'localhost') continue;
    throw new Error(`benchmark upstream ${JSON.stringify(entry)} is not local: benchmarks reach only 127.0.0.1 and file://`);
  }
}

// ---------------------------------------------------------------------------------------------
// Memory of a process, from /proc (Linux)

export type ProcessMemory = {
  /** Resident set size now, in bytes (VmRSS). */
  rss: number;
  /** The highest resident set size since start or since resetPeakRss, in bytes (VmHWM). */
  peakRss: number;
};

export function readProcessMemory(pid: number): ProcessMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kilobytes = (field: string): number => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!match) throw new Error(`/proc/${pid}/status has no ${field}`);
    return Number(match[1]) * 1024;
  };
  return { rss: kilobytes('VmRSS'), peakRss: kilobytes('VmHWM') };
}

/**
 * Sets VmHWM back to the current VmRSS (writing "5" to clear_refs, Linux 4.0+), so that the next
 * reading of peakRss is the peak of what follows. False when the kernel does not allow it.
 */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * pid and every process below it. A process's children are listed per thread in
 * /proc/<pid>/task/<tid>/children (Linux 3.5+): a Go program starts its go commands from any thread.
 */
export function processTree(pid: number): number[] {
  const pids = [pid];
  for (let i = 0; i < pids.length; i++) {
    let threads: string[];
    try {
      threads = readdirSync(`/proc/${pids[i]}/task`);
    } catch {
      continue; // ended since it was listed
    }
    for (const thread of threads) {
      try {
        const children = readFileSync(`/proc/${pids[i]}/task/${thread}/children`, 'utf8');
        for (const child of children.split(' ')) if (child.trim() !== '') pids.push(Number(child));
      } catch {
        // The thread ended since it was listed.
      }
    }
  }
  return pids;
}

/**
 * VmRSS of pid and of every process below it, summed, in bytes: the memory of a server whose work
 * runs partly in processes it starts (Athens runs the go command for each fetch).
 */
export function readProcessTreeRss(pid: number): number {
  let total = 0;
  for (const member of processTree(pid)) {
    try {
      total += readProcessMemory(member).rss;
    } catch {
      // Ended (or a zombie without VmRSS) between listing and reading.
    }
  }
  return total;
}
