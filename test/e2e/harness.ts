// Starts the proxy under test: in this process (fast, for most tests) or as a child process running
// the same command line as `npm start` (for tests that kill it). Upstreams are always servers or
// folders the test made on this machine.
import { spawn, type ChildProcess } from 'node:child_process';
import { basename, join } from 'node:path';
import { pino, type Logger } from 'pino';
import { resolveConfig, type ConfigInput } from '../../proxy/config.ts';
import { startProxy, type RunningProxy } from '../../proxy/serve.ts';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { makeGoHome, makeTempDir, removeTempDir, runGo } from '../fixtures/goCommand.ts';
import { buildableProgram, writeModuleTree, type FixtureModule } from '../fixtures/moduleTree.ts';
import { startUpstream, type Upstream } from '../fixtures/upstreamServer.ts';

export type TestProxyOptions = {
  upstream: string;
  storagePath?: string;
  private?: string[];
  listTtl?: string;
  upstreamTimeout?: string;
  /** The git host map; github.com defaults to a closed port on 127.0.0.1, never the real host. */
  gitHosts?: Record<
    string,
    { url: string; discover?: boolean; discoverOrigins?: string[]; username?: string; token?: string; caFile?: string; sshKeyFile?: string; knownHostsFile?: string }
  >;
  /**
   * direct.allowInternal: every git host of the tests is on 127.0.0.1, which `direct` refuses by
   * default, so the tests allow exactly that address (default ["127.0.0.1"]).
   */
  directAllowInternal?: string[];
  /** direct.vcs (GOVCS syntax; default the proxy's own). */
  directVcs?: string;
  /** How long one git command may run (default 60s: the suite shares two cores with kube-apiserver, MinIO and go builds). */
  gitTimeout?: string;
  /**
   * GOSUMDB syntax; default "off" because the built-in database is public. Tests of
   * verification give a database they started on 127.0.0.1 ("name+key http://127.0.0.1:port").
   */
  sumdb?: string;
  nosumdb?: string[];
  sumdbUnreachable?: 'refuse' | 'serve-unverified';
  /** How often download times are written to storage (default 1m). */
  recordEvery?: string;
  /** https with these files (made by the test's own CA). */
  tls?: ConfigInput['tls'];
  auth?: ConfigInput['auth'];
  /** The `access` setting: per-module rules. */
  accessRules?: ConfigInput['access'];
  /** The policy, audit and trustedProxies settings, as in a settings file. */
  access?: Pick<ConfigInput, 'policy' | 'audit' | 'trustedProxies'>;
  /**
   * The vulnerability database mirror; default "off" because the built-in one is public. Tests of
   * the mirror give a database they serve on 127.0.0.1.
   */
  vulndb?: ConfigInput['vulndb'];
  /** What a cold request fetches ahead (default: the built-in `onInfo`). */
  fetchAhead?: ConfigInput['fetchAhead'];
  /** The proxy's logger (default: silent unless GOMODPROXY_TEST_LOG names a level). */
  logger?: Logger;
  /** git.maxProcesses, git.cacheSize and git.exportLimit (defaults: the built-in ones). */
  gitLimits?: { maxProcesses?: number; cacheSize?: string; exportLimit?: string };
};

export type TestProxy = RunningProxy & { storagePath: string; gitCacheDir: string; dispose(): Promise<void> };

export async function startTestProxy(options: TestProxyOptions): Promise<TestProxy> {
  const storagePath = options.storagePath ?? (await makeTempDir('gomodproxy-store-'));
  const config = resolveConfig({
    listen: '127.0.0.1:0',
    storage: { type: 'disk', path: storagePath },
    upstream: options.upstream,
    private: options.private ?? [],
    sumdb: options.sumdb ?? 'off',
    vulndb: options.vulndb ?? 'off',
    ...(options.fetchAhead ? { fetchAhead: options.fetchAhead } : {}),
    nosumdb: options.nosumdb ?? [],
    sumdbUnreachable: options.sumdbUnreachable ?? 'refuse',
    retention: { recordEvery: options.recordEvery ?? '1m' },
    listTtl: options.listTtl ?? '1m',
    upstreamTimeout: options.upstreamTimeout ?? '10s',
    git: {
      hosts: options.gitHosts ?? { 'github.com': { url: 'http://127.0.0.1:9' } },
      cacheDir: join(storagePath, '..', `${basename(storagePath)}-git`),
      timeout: options.gitTimeout ?? '60s',
      ...options.gitLimits,
    },
    direct: { allowInternal: options.directAllowInternal ?? ['127.0.0.1'], ...(options.directVcs !== undefined && { vcs: options.directVcs }) },
    logLevel: 'silent',
    ...(options.tls ? { tls: options.tls } : {}),
    ...(options.auth ? { auth: options.auth } : {}),
    ...(options.accessRules ? { access: options.accessRules } : {}),
    ...options.access,
  });
  const proxy = await startProxy(config, options.logger ?? pino({ level: process.env['GOMODPROXY_TEST_LOG'] ?? 'silent' }));
  return {
    ...proxy,
    storagePath,
    gitCacheDir: config.git.cacheDir,
    async dispose() {
      await proxy.close();
      if (options.storagePath === undefined) await removeTempDir(storagePath);
      await removeTempDir(config.git.cacheDir);
    },
  };
}

export const repositoryRoot = join(import.meta.dirname, '..', '..');

const bin = join(repositoryRoot, 'bin', 'gomodproxy.js');

/**
 * The production command line: this Node and the bin (what `npm start` and the installed command
 * run). The bin itself gives each command its node flags (cli/processSettings.ts).
 */
export function productionCommand(): { command: string; args: string[] } {
  return { command: process.execPath, args: [bin] };
}

export type ProxyProcess = { url: string; child: ChildProcess; output: () => string; stop(): Promise<void> };

/**
 * Runs `node bin/gomodproxy.js serve` (what `npm start` runs) as a child process, configured through
 * GOMODPROXY_* variables (and `serveArgs`, e.g. ["--config", file], for settings that have none).
 */
export async function spawnProxy(env: Record<string, string>, serveArgs: string[] = []): Promise<ProxyProcess> {
  const { command, args } = productionCommand();
  const child = spawn(command, [...args, 'serve', ...serveArgs], {
    cwd: repositoryRoot,
    // The built-in checksum database is public: tests that verify give their own.
    env: {
      PATH: process.env['PATH'] ?? '',
      GOMODPROXY_LISTEN: '127.0.0.1:0',
      GOMODPROXY_LOG_LEVEL: 'info',
      GOMODPROXY_SUMDB: 'off',
      // The built-in vulnerability database is public too: tests of the mirror give their own.
      GOMODPROXY_VULNDB_URL: 'off',
      // The tests' git hosts are on 127.0.0.1, which `direct` refuses by default.
      GOMODPROXY_DIRECT_ALLOW_INTERNAL: '127.0.0.1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`proxy did not start within 20s:\n${output}`)), 20_000);
    const look = () => {
      const match = /"url":"(http:\/\/[^"]+)"/.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout!.off('data', look);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', look);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`proxy exited with ${code} before serving:\n${output}`));
    });
  });
  return {
    url,
    child,
    output: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export type CommandResult = { code: number; stdout: string; stderr: string };

/**
 * Runs a gomodproxy command (prefetch, export, import…) as the installed command runs it,
 * configured through arguments and GOMODPROXY_* variables only (checksum database off unless given).
 */
export function runGomodproxy(args: string[], env: Record<string, string> = {}): Promise<CommandResult> {
  const { command, args: base } = productionCommand();
  const child = spawn(command, [...base, ...args], {
    cwd: repositoryRoot,
    env: { PATH: process.env['PATH'] ?? '', GOMODPROXY_SUMDB: 'off', GOMODPROXY_VULNDB_URL: 'off', GOMODPROXY_DIRECT_ALLOW_INTERNAL: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gomodproxy ${args.join(' ')} did not finish within 100s:\n${stdout}\n${stderr}`));
    }, 100_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/**
 * Runs the fixture program (buildableProgram) through a proxy on `storePath` that has no upstream
 * at all, without a go.sum: the go command needs every go.mod of the graph and each selected zip,
 * and writes the sums itself. Returns what the program printed.
 */
export async function runProgramFromStoreOnly(storePath: string): Promise<string> {
  const program = buildableProgram();
  const proxy = await startTestProxy({ upstream: 'off', storagePath: storePath });
  const home = await makeGoHome({ goproxy: proxy.url });
  try {
    const dir = join(home.home, 'program');
    await mkdir(dir);
    await writeFile(join(dir, 'go.mod'), program.goMod);
    await writeFile(join(dir, 'main.go'), program.mainGo);
    return (await runGo(['run', '-mod=mod', '.'], { cwd: dir, env: home.env })).stdout;
  } finally {
    await home.dispose();
    await proxy.dispose();
  }
}

/** A throw-away folder that removes itself. */
export async function tempFolder(prefix: string): Promise<{ path: string; dispose(): Promise<void> }> {
  const path = await makeTempDir(prefix);
  return { path, dispose: () => removeTempDir(path) };
}

export type ProxiedTree = {
  tree: string;
  upstream: Upstream;
  proxy: TestProxy;
  dispose(): Promise<void>;
};

/**
 * The common setup: modules written as a GOPROXY tree (then changed by `damage`, if given),
 * a test upstream serving it on 127.0.0.1, and a proxy in front of that upstream.
 */
export async function startProxiedTree(
  modules: FixtureModule[],
  options: Omit<TestProxyOptions, 'upstream'> & { damage?: (tree: string) => Promise<void> } = {},
): Promise<ProxiedTree> {
  const { damage, ...proxyOptions } = options;
  const folder = await tempFolder('gomodproxy-tree-');
  await writeModuleTree(folder.path, modules);
  await damage?.(folder.path);
  const upstream = await startUpstream(folder.path);
  const proxy = await startTestProxy({ ...proxyOptions, upstream: upstream.url });
  return {
    tree: folder.path,
    upstream,
    proxy,
    async dispose() {
      await proxy.dispose();
      await upstream.close();
      await folder.dispose();
    },
  };
}

/** The files in a store's staging folder, at any depth (each process stages in a folder of its own). */
export async function stagedFiles(storePath: string): Promise<string[]> {
  const entries = await readdir(join(storePath, '.staging'), { recursive: true, withFileTypes: true });
  return entries.filter((e) => !e.isDirectory()).map((e) => join(e.parentPath, e.name));
}

/** Writes buildableProgram() into `dir`, builds and runs it with `env`; returns what it printed. */
export async function buildAndRunProgram(dir: string, env: NodeJS.ProcessEnv): Promise<{ output: string; expected: string }> {
  const program = buildableProgram();
  await mkdir(dir);
  await writeFile(join(dir, 'go.mod'), program.goMod);
  await writeFile(join(dir, 'go.sum'), program.goSum);
  await writeFile(join(dir, 'main.go'), program.mainGo);
  await runGo(['build', '-o', 'program', '.'], { cwd: dir, env });
  const out = await runGo(['run', '.'], { cwd: dir, env });
  return { output: out.stdout, expected: program.expectedOutput };
}
