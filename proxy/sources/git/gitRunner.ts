/**
 * Runs git non-interactively and safely: no prompts, no credential helpers
 * from the machine, no hooks, only the transports allowed (https and ssh,
 * plus http or file when a configured repository URL uses them), a
 * timeout, and a cap on how many run at once (processSlots.ts). Errors carry
 * git's own first line of stderr, with any URL credentials removed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { proxyError } from '../../errors.ts';
import { scrub } from './access.ts';
import type { ProcessSlots } from './processSlots.ts';

export type GitOptions = {
  /** The bare repository (GIT_DIR); absent for commands that need none. */
  gitDir?: string;
  timeoutMs: number;
  /** Transports allowed besides https and ssh, e.g. ["http"] for an http repository URL. */
  extraProtocols?: string[];
  /** Bytes written to git's standard input. */
  input?: string;
  /**
   * Extra git configuration, passed in the environment (GIT_CONFIG_COUNT…), not on the command
   * line, where other users could read a credential in the process list.
   */
  config?: Record<string, string>;
  /** The ssh command (with its key and known_hosts options). */
  sshCommand?: string | undefined;
  /** Variables added to git's environment (read by the credential helper). */
  env?: Record<string, string>;
  /** Values never to repeat in an error text. */
  secrets?: string[];
  /** The cap on git processes running at once; the command waits for a slot. */
  slots?: ProcessSlots;
};

const MAX_OUTPUT = 64 << 20;

export function redactUrl(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, '$1');
}

function safetyConfig(extraProtocols: string[]): string[] {
  const allowed = ['https', 'ssh', ...extraProtocols];
  return [
    '-c', 'protocol.allow=never',
    ...allowed.flatMap((p) => ['-c', `protocol.${p}.allow=always`]),
    '-c', 'core.hooksPath=/dev/null',
    '-c', 'core.askPass=',
    '-c', 'gc.auto=0',
    '-c', 'maintenance.auto=false',
  ];
}

function gitEnvironment(options: GitOptions): NodeJS.ProcessEnv {
  return {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: process.env['HOME'] ?? '/nonexistent',
      // No prompt and no askpass program: git asks for credentials it was not given, and fails.
      GIT_TERMINAL_PROMPT: '0',
      GIT_SSH_COMMAND: options.sshCommand ?? 'ssh -o BatchMode=yes -o StrictHostKeyChecking=yes',
      GIT_CONFIG_NOSYSTEM: '1',
      ...(process.env['GIT_CONFIG_GLOBAL'] !== undefined && { GIT_CONFIG_GLOBAL: process.env['GIT_CONFIG_GLOBAL'] }),
      ...(options.gitDir !== undefined && { GIT_DIR: options.gitDir }),
      LC_ALL: 'C',
      ...options.env,
      // The machine's credential helpers are cleared first, so that only ours follow.
      ...configEnvironment({ 'credential.helper': '', ...options.config }),
  };
}

function configEnvironment(config: Record<string, string>): NodeJS.ProcessEnv {
  const entries = Object.entries(config);
  const env: NodeJS.ProcessEnv = { GIT_CONFIG_COUNT: String(entries.length) };
  entries.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return env;
}

/** Runs git and resolves to its standard output; rejects with a ProxyError naming what failed. */
export function runGit(args: string[], options: GitOptions): Promise<Buffer> {
  return options.slots ? options.slots.run(() => runGitNow(args, options)) : runGitNow(args, options);
}

function runGitNow(args: string[], options: GitOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const env = gitEnvironment(options);
    const child = spawn('git', [...safetyConfig(options.extraProtocols ?? []), ...args], { env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    const timer = setTimeout(() => killGroup(child), options.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > MAX_OUTPUT) killGroup(child);
      else out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (err.length < 8192) err += chunk.toString();
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(proxyError('UPSTREAM_FAILED', `cannot run git: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve(Buffer.concat(out));
      const what = `git ${args[0] ?? ''}`;
      if (signal === 'SIGKILL' && outBytes <= MAX_OUTPUT) {
        return reject(proxyError('UPSTREAM_TIMEOUT', `${what}: no answer within ${options.timeoutMs / 1000}s`));
      }
      const reason = scrub(redactUrl(err.split('\n').find((line) => /fatal|error/i.test(line)) ?? err.split('\n')[0] ?? ''), options.secrets ?? []).trim();
      reject(new GitError(`${what}: ${reason || `exit ${code}`}`, reason));
    });
    // git may exit before reading its input; that shows in its exit status, not here.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/** A git command that ran and failed; `reason` is git's own words. */
export class GitError extends Error {
  readonly reason: string;

  constructor(message: string, reason: string) {
    super(message);
    this.name = 'GitError';
    this.reason = reason;
  }
}

/**
 * Runs git and hands its standard output, as a stream, to `consume`; resolves when both are
 * done. For outputs too large to hold (git archive of a big module).
 */
export function streamGit(args: string[], options: GitOptions, consume: (stdout: Readable) => Promise<void>): Promise<void> {
  return options.slots ? options.slots.run(() => streamGitNow(args, options, consume)) : streamGitNow(args, options, consume);
}

async function streamGitNow(args: string[], options: GitOptions, consume: (stdout: Readable) => Promise<void>): Promise<void> {
  const child = spawn('git', [...safetyConfig(options.extraProtocols ?? []), ...args], { env: gitEnvironment(options), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => {
    if (err.length < 8192) err += chunk.toString();
  });
  const timer = setTimeout(() => killGroup(child), options.timeoutMs);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  try {
    // The consumer must read the output to its end: the process is not done until it is read.
    await consume(child.stdout);
  } catch (e) {
    killGroup(child);
    // Output the consumer left unread would keep the pipe, and so the process's 'close', pending.
    child.stdout.destroy();
    await exited;
    clearTimeout(timer);
    throw e;
  }
  {
    const { code, signal } = await exited;
    clearTimeout(timer);
    if (code !== 0) {
      const what = `git ${args[0] ?? ''}`;
      if (signal === 'SIGKILL') throw proxyError('UPSTREAM_TIMEOUT', `${what}: no answer within ${options.timeoutMs / 1000}s`);
      const reason = scrub(redactUrl(err.split('\n').find((line) => /fatal|error/i.test(line)) ?? err.split('\n')[0] ?? ''), options.secrets ?? []).trim();
      throw new GitError(`${what}: ${reason || `exit ${code}`}`, reason);
    }
  }
}

/**
 * Kills git and every process it started (git clone runs git-remote-http, which holds the
 * output pipes open): git runs in its own process group for this.
 */
function killGroup(child: ChildProcess): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}
