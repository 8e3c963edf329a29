// golang.org/x/mod/sumdb/note as an oracle, without the network: noteOracle/main.go built against
// the copy of x/mod that the go command vendors (GOROOT/src/cmd/vendor/golang.org/x/mod), so its
// answers are those of the go command on this machine when it checks a GOSUMDB="name+key url".
// The build is kept under the system temp dir, keyed by the program and the go version.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { goEnv, makeTempDir, removeTempDir, runGo } from '../../fixtures/goCommand.ts';

/** Texts and notes are raw bytes; the oracle receives them as base64. */
export type NoteOracleJob =
  | { op: 'generate'; name: string }
  | { op: 'sign'; text: Uint8Array | string; skeys: string[] }
  | { op: 'open'; note: Uint8Array | string; vkeys: string[] };

export type NoteOracleSignature = { name: string; hash: number; base64: string };

export type NoteOracleResult = {
  skey?: string;
  vkey?: string;
  /** The signed note (sign). */
  note?: string;
  /** The verified text (open). */
  text?: string;
  sigs: NoteOracleSignature[];
  unverified: NoteOracleSignature[];
  error?: string;
  /** unknown: no known signer; invalid: a known key's signature fails; key: a key does not parse. */
  errorKind?: 'unknown' | 'invalid' | 'key' | 'other';
};

const source = new URL('./noteOracle/main.go', import.meta.url);

/** Build the oracle (once per program and go version) and return the path of its binary. */
export async function buildNoteOracle(): Promise<string> {
  const home = await makeTempDir('gomodproxy-note-home-');
  try {
    const env = goEnv({ home, goproxy: 'off', extra: { GOFLAGS: '-modcacherw -mod=mod' } });
    const goroot = (await runGo(['env', 'GOROOT'], { cwd: home, env })).stdout.trim();
    const goVersion = (await runGo(['version'], { cwd: home, env })).stdout.trim();
    const program = await readFile(source);
    const key = createHash('sha256').update(program).update(goVersion).update(goroot).digest('hex').slice(0, 16);
    const dir = join(tmpdir(), 'gomodproxy-note-oracle', key);
    const binary = join(dir, 'noteoracle');
    if (await exists(binary)) return binary;

    const work = join(home, 'build');
    await cp(join(goroot, 'src', 'cmd', 'vendor', 'golang.org', 'x', 'mod'), join(work, 'xmod'), { recursive: true });
    await writeFile(join(work, 'xmod', 'go.mod'), 'module golang.org/x/mod\n\ngo 1.24\n');
    await mkdir(join(work, 'oracle'));
    await writeFile(join(work, 'oracle', 'main.go'), program);
    await writeFile(
      join(work, 'oracle', 'go.mod'),
      'module gomodproxy.test/noteoracle\n\ngo 1.24\n\nrequire golang.org/x/mod v0.0.0\n\nreplace golang.org/x/mod => ../xmod\n',
    );
    await runGo(['build', '-o', join(work, 'noteoracle'), '.'], { cwd: join(work, 'oracle'), env, timeoutMs: 300_000 });
    await mkdir(dir, { recursive: true });
    // Another run may have built it meanwhile: either binary is the same program.
    await rename(join(work, 'noteoracle'), binary);
    return binary;
  } finally {
    await removeTempDir(home);
  }
}

/** Run jobs through the oracle binary, in order. */
export async function runNoteOracle(binary: string, jobs: NoteOracleJob[]): Promise<NoteOracleResult[]> {
  const wire = jobs.map((job) => {
    if (job.op === 'sign') return { ...job, text: Buffer.from(job.text).toString('base64') };
    if (job.op === 'open') return { ...job, note: Buffer.from(job.note).toString('base64') };
    return job;
  });
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = spawn(binary, [], { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' }, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else reject(new Error(`noteoracle exited with ${code}: ${Buffer.concat(err).toString()}`));
    });
    child.stdin.end(JSON.stringify(wire));
  });
  const results = JSON.parse(stdout) as NoteOracleResult[];
  for (const r of results) {
    if (r.note !== undefined) r.note = Buffer.from(r.note, 'base64').toString('utf8');
    if (r.text !== undefined) r.text = Buffer.from(r.text, 'base64').toString('utf8');
  }
  return results;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
