// golang.org/x/mod as an oracle, without the network: xmodOracle/main.go built against the copy of
// x/mod that the go command vendors (GOROOT/src/cmd/vendor/golang.org/x/mod), so its answers are
// those of the go command on this machine. The build is kept under the system temp dir, keyed by
// the program and the go version, and reused by later runs.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { goEnv, makeTempDir, removeTempDir, runGo } from '../../fixtures/goCommand.ts';

export type OracleJob =
  | { op: 'fromVCS'; module: string; version: string; dir: string; rev: string; subdir: string; zip: string }
  | { op: 'fromDir'; module: string; version: string; dir: string; zip: string }
  | { op: 'check'; module: string; version: string; zip: string; unzip: boolean };

/** The h1: hash and the file names (without the module@version/ prefix, sorted), or the error. */
export type OracleResult = { hash?: string; files: string[]; error?: string };

const source = new URL('./xmodOracle/main.go', import.meta.url);

/** Build the oracle (once per program and go version) and return the path of its binary. */
export async function buildXmodOracle(): Promise<string> {
  const home = await makeTempDir('gomodproxy-xmod-home-');
  try {
    const env = goEnv({ home, goproxy: 'off', extra: { GOFLAGS: '-modcacherw -mod=mod' } });
    const goroot = (await runGo(['env', 'GOROOT'], { cwd: home, env })).stdout.trim();
    const goVersion = (await runGo(['version'], { cwd: home, env })).stdout.trim();
    const program = await readFile(source);
    const key = createHash('sha256').update(program).update(goVersion).update(goroot).digest('hex').slice(0, 16);
    const dir = join(tmpdir(), 'gomodproxy-xmod-oracle', key);
    const binary = join(dir, 'xmodoracle');
    if (await exists(binary)) return binary;

    const work = join(home, 'build');
    await cp(join(goroot, 'src', 'cmd', 'vendor', 'golang.org', 'x', 'mod'), join(work, 'xmod'), { recursive: true });
    await writeFile(join(work, 'xmod', 'go.mod'), 'module golang.org/x/mod\n\ngo 1.24\n');
    await mkdir(join(work, 'oracle'));
    await writeFile(join(work, 'oracle', 'main.go'), program);
    await writeFile(
      join(work, 'oracle', 'go.mod'),
      'module gomodproxy.test/xmodoracle\n\ngo 1.24\n\nrequire golang.org/x/mod v0.0.0\n\nreplace golang.org/x/mod => ../xmod\n',
    );
    await runGo(['build', '-o', join(work, 'xmodoracle'), '.'], { cwd: join(work, 'oracle'), env, timeoutMs: 300_000 });
    await mkdir(dir, { recursive: true });
    // Another run may have built it meanwhile: either binary is the same program.
    await rename(join(work, 'xmodoracle'), binary);
    return binary;
  } finally {
    await removeTempDir(home);
  }
}

/** Run jobs through the oracle binary; git (for fromVCS) runs with a throw-away HOME and no config. */
export async function runXmodOracle(binary: string, jobs: OracleJob[]): Promise<OracleResult[]> {
  const home = await makeTempDir('gomodproxy-xmod-run-');
  try {
    const env = goEnv({ home, goproxy: 'off' });
    const stdout = await new Promise<string>((resolve, reject) => {
      const child = spawn(binary, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
      child.on('error', reject);
      child.on('close', (code) => {
        if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
        else reject(new Error(`xmodoracle exited with ${code}: ${Buffer.concat(err).toString()}`));
      });
      child.stdin.end(JSON.stringify(jobs));
    });
    return JSON.parse(stdout) as OracleResult[];
  } finally {
    await removeTempDir(home);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
