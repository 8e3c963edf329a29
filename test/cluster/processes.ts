// The servers of a test cluster as child processes: each in its own process group (stopped with
// it), its output appended to a log file, and killed when the test run ends without stopping it.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';

export type ManagedProcess = { name: string; child: ChildProcess; exited: Promise<void> };

const running = new Set<ManagedProcess>();
// A test run that ends without stop() (a crash, a timeout) must not leave servers behind.
process.once('exit', () => {
  for (const managed of running) killGroup(managed.child, 'SIGKILL');
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/** The environment of every server: PATH only (with the sbin folders, where runc and iptables are). */
function serverEnvironment(): NodeJS.ProcessEnv {
  const path = process.env['PATH'] ?? '/usr/bin:/bin';
  const missing = ['/usr/local/sbin', '/usr/sbin', '/sbin'].filter((folder) => !path.split(':').includes(folder));
  return { PATH: [path, ...missing].join(':') };
}

export function startProcess(name: string, binary: string, args: string[], logFile: string): ManagedProcess {
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(binary, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: serverEnvironment() });
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const managed = { name, child, exited };
  running.add(managed);
  void exited.then(() => running.delete(managed));
  return managed;
}

/** SIGTERM to the process group, SIGKILL when it is still there after 10 s. */
export async function stopProcess(managed: ManagedProcess): Promise<void> {
  killGroup(managed.child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(managed.child, 'SIGKILL'), 10_000);
  await managed.exited;
  clearTimeout(timer);
}

/** Polls check every 250 ms; fails with the log's tail when the process exits or time runs out. */
export async function waitFor(what: string, check: () => Promise<boolean>, managed: ManagedProcess, logFile: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void managed.exited.then(() => (exited = true));
  for (;;) {
    if (exited) throw new Error(`${managed.name} exited before ${what}:\n${(await readFile(logFile, 'utf8')).slice(-4000)}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s:\n${(await readFile(logFile, 'utf8')).slice(-4000)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
