// The project's image (ensureImage.sh builds it once per content key) and containers of it, run
// by Debian's podman with runc (crun fails on hybrid cgroup v1 machines; setrlimit is refused
// without the explicit ulimits) on the host network, so that the proxy in the container and the
// upstreams, checksum databases and go commands of the test meet on 127.0.0.1.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const engine = ['--runtime', 'runc'];
const limits = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];

export type BuiltImage = { image: string; archive: string };

/**
 * Builds the image when its key is new, and reads the two lines ensureImage.sh prints. A change to
 * any source the image copies makes a new key: the build then takes a minute or more (the base
 * and the dependency layers are reused), hence IMAGE_BUILD_TIMEOUT for the hook that calls this.
 */
export async function ensureImage(): Promise<BuiltImage> {
  const { stdout } = await run('bash', [join(import.meta.dirname, 'ensureImage.sh')], { encoding: 'utf8' });
  const line = (name: string) => {
    const found = new RegExp(`^${name}=(.+)$`, 'm').exec(stdout);
    if (!found) throw new Error(`ensureImage.sh printed no ${name}= line:\n${stdout}`);
    return found[1]!;
  };
  return { image: line('image'), archive: line('archive') };
}

/** How long a hook that calls ensureImage may take: a cold build makes the base too. */
export const IMAGE_BUILD_TIMEOUT = 30 * 60_000;

export type ContainerOptions = {
  image: string;
  /** Replaces the image's ENTRYPOINT, and with it its CMD (Kubernetes: command). */
  entrypoint?: string[];
  /** Replaces the image's CMD (Kubernetes: args). */
  args?: string[];
  env?: Record<string, string>;
  mounts?: Array<{ source: string; target: string; readOnly?: boolean }>;
  /** uid[:gid]; the image's USER when absent. */
  user?: string;
  groups?: number[];
  readOnlyRoot?: boolean;
  dropCapabilities?: string[];
  noNewPrivileges?: boolean;
};

export type Container = {
  name: string;
  /** Everything the container wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the first match of pattern in the output; rejects when the container exits first. */
  waitForOutput(pattern: RegExp): Promise<RegExpExecArray>;
  exec(command: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** `podman stop`: SIGTERM to the container's PID 1, and its exit code. */
  stop(): Promise<number>;
  /** The exit code, once the container has exited. */
  exited: Promise<number>;
  /** Removes the container whatever its state (for afterAll). */
  remove(): Promise<void>;
};

export function podmanRunArguments(name: string, options: ContainerOptions): string[] {
  return [
    ...engine,
    'run',
    '--rm',
    '--name',
    name,
    '--network',
    'host',
    ...limits,
    ...(options.entrypoint ? ['--entrypoint', JSON.stringify(options.entrypoint)] : []),
    ...Object.entries(options.env ?? {}).flatMap(([key, value]) => ['--env', `${key}=${value}`]),
    ...(options.mounts ?? []).flatMap((m) => ['--volume', `${m.source}:${m.target}${m.readOnly ? ':ro' : ''}`]),
    ...(options.user ? ['--user', options.user] : []),
    ...(options.groups ?? []).flatMap((group) => ['--group-add', String(group)]),
    ...(options.readOnlyRoot ? ['--read-only'] : []),
    ...(options.dropCapabilities ?? []).flatMap((capability) => ['--cap-drop', capability]),
    ...(options.noNewPrivileges ? ['--security-opt', 'no-new-privileges'] : []),
    options.image,
    ...(options.args ?? []),
  ];
}

/** Starts a container attached to this process: its output is collected, its exit code awaited. */
export function startContainer(options: ContainerOptions): Container {
  const name = `gomodproxy-test-${randomBytes(4).toString('hex')}`;
  const child = spawn('podman', podmanRunArguments(name, options), { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const listeners = new Set<() => void>();
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<number>((resolve, reject) => {
    child.once('close', (code, signal) => resolve(code ?? (signal ? 128 : -1)));
    child.once('error', reject);
  });

  return {
    name,
    output: () => output,
    waitForOutput: (pattern) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(output);
          if (!match) return;
          listeners.delete(check);
          resolve(match);
        };
        listeners.add(check);
        check();
        void exited.then((code) => {
          if (!listeners.has(check)) return;
          listeners.delete(check);
          reject(new Error(`the container exited with ${code} before printing ${pattern}:\n${output}`));
        });
      }),
    exec: async (command) => {
      try {
        const { stdout, stderr } = await run('podman', [...engine, 'exec', name, ...command], { encoding: 'utf8' });
        return { code: 0, stdout, stderr };
      } catch (err) {
        const failed = err as { code?: number; stdout?: string; stderr?: string };
        return { code: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
      }
    },
    stop: async () => {
      // Long enough for in-flight downloads; podman would send SIGKILL after it.
      await run('podman', [...engine, 'stop', '--time', '60', name]);
      return exited;
    },
    exited,
    remove: async () => {
      await run('podman', [...engine, 'rm', '--force', '--ignore', name]).catch(() => undefined);
      await exited.catch(() => undefined);
    },
  };
}

/** Runs a container to its end and gives its exit code and output. */
export async function runContainer(options: ContainerOptions): Promise<{ code: number; output: string }> {
  const container = startContainer(options);
  try {
    const code = await container.exited;
    return { code, output: container.output() };
  } finally {
    await container.remove();
  }
}
