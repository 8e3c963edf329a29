// Starts the proxy under test: in this process (fast, for most tests) or as a child process running
// the same command line as `npm start` (for tests that kill it). Upstreams are always servers or
// folders the test made on this machine.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pino } from 'pino';
import { resolveConfig } from '../../proxy/config.ts';
import { startProxy, type RunningProxy } from '../../proxy/serve.ts';
import { makeTempDir, removeTempDir } from '../fixtures/goCommand.ts';
import { writeModuleTree, type FixtureModule } from '../fixtures/moduleTree.ts';
import { startUpstream, type Upstream } from '../fixtures/upstreamServer.ts';

export type TestProxyOptions = {
  upstream: string;
  storagePath?: string;
  private?: string[];
  listTtl?: string;
  upstreamTimeout?: string;
  /** The git host map; github.com defaults to a closed port on 127.0.0.1, never the real host. */
  gitHosts?: Record<string, { url: string; discover?: boolean; username?: string; token?: string; caFile?: string; sshKeyFile?: string; knownHostsFile?: string }>;
  /** How long one git command may run (default 20s). */
  gitTimeout?: string;
};

export type TestProxy = RunningProxy & { storagePath: string; dispose(): Promise<void> };

export async function startTestProxy(options: TestProxyOptions): Promise<TestProxy> {
  const storagePath = options.storagePath ?? (await makeTempDir('gomodproxy-store-'));
  const config = resolveConfig({
    listen: '127.0.0.1:0',
    storage: { type: 'disk', path: storagePath },
    upstream: options.upstream,
    private: options.private ?? [],
    listTtl: options.listTtl ?? '1m',
    upstreamTimeout: options.upstreamTimeout ?? '10s',
    git: {
      hosts: options.gitHosts ?? { 'github.com': { url: 'http://127.0.0.1:9' } },
      cacheDir: join(storagePath, '..', `${basename(storagePath)}-git`),
      timeout: options.gitTimeout ?? '20s',
    },
    logLevel: 'silent',
  });
  const proxy = await startProxy(config, pino({ level: process.env['GOMODPROXY_TEST_LOG'] ?? 'silent' }));
  return {
    ...proxy,
    storagePath,
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
 * The production command line: this Node, the flags of the bin's "#!/usr/bin/env -S node …"
 * line, and the bin itself (what `npm start` and the installed command run).
 */
export function productionCommand(): { command: string; args: string[] } {
  const shebang = readFileSync(bin, 'utf8').split('\n')[0]!;
  const flags = shebang.replace(/^#!\/usr\/bin\/env -S node\s*/, '').split(/\s+/).filter(Boolean);
  return { command: process.execPath, args: [...flags, bin] };
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
    env: { PATH: process.env['PATH'] ?? '', GOMODPROXY_LISTEN: '127.0.0.1:0', GOMODPROXY_LOG_LEVEL: 'info', ...env },
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
