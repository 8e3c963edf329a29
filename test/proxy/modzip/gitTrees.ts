// File trees for createModuleZip tests: committed to git repositories (served to the go command by
// the test git server), written to directories, and read back as SourceFile lists the way a git
// source reads a commit (git ls-tree -r -l, git cat-file) or a directory walk reads a directory.

import { execFile, spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, readdir, readlink, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { SourceFile } from '../../../proxy/modzip/index.ts';

/** A file's content, a symbolic link to target, or a git submodule (a gitlink to some commit). */
export type TreeEntry = string | Uint8Array | { symlink: string } | { submodule: true };
export type TreeSpec = Record<string, TreeEntry>;

/** A commit hash that a gitlink points at: it need not exist anywhere. */
const submoduleCommit = '0123456789abcdef0123456789abcdef01234567';

/** git with no configuration but ours, fixed identity and dates. */
function gitEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: '/nonexistent',
    LC_ALL: 'C',
    TZ: 'UTC',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: 'Modzip Test',
    GIT_AUTHOR_EMAIL: 'modzip@test.invalid',
    GIT_COMMITTER_NAME: 'Modzip Test',
    GIT_COMMITTER_EMAIL: 'modzip@test.invalid',
    GIT_AUTHOR_DATE: '@1704067200 +0000',
    GIT_COMMITTER_DATE: '@1704067200 +0000',
  };
}

const gitOptions = ['-c', 'core.symlinks=true', '-c', 'core.autocrlf=false', '-c', 'commit.gpgSign=false', '-c', 'tag.gpgSign=false'];

/** Run git; returns stdout as bytes. */
export function git(cwd: string, args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile('git', [...gitOptions, ...args], { cwd, env: gitEnv(), encoding: 'buffer', maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`git ${args.join(' ')} in ${cwd}: ${stderr.toString() || err.message}`));
      else resolve(stdout);
    });
  });
}

/** Write tree (not its submodules) into dir. */
export async function writeTree(dir: string, tree: TreeSpec): Promise<void> {
  for (const [path, entry] of Object.entries(tree)) {
    const file = join(dir, path);
    await mkdir(dirname(file), { recursive: true });
    if (typeof entry === 'string' || entry instanceof Uint8Array) await writeFile(file, entry);
    else if ('symlink' in entry) await symlink(entry.symlink, file);
  }
}

/**
 * Commit tree in a new repository whose work tree is dir, tag the commit with tags, and return the
 * commit hash. Submodules are gitlinks in the index only (no .gitmodules, nothing checked out).
 */
export async function commitTree(dir: string, tree: TreeSpec, tags: string[] = []): Promise<string> {
  await mkdir(dir, { recursive: true });
  await git(dir, ['init', '-q', '-b', 'main']);
  await writeTree(dir, tree);
  await git(dir, ['add', '-A']);
  for (const [path, entry] of Object.entries(tree)) {
    if (typeof entry === 'object' && 'submodule' in entry) {
      await git(dir, ['update-index', '--add', '--cacheinfo', `160000,${submoduleCommit},${path}`]);
    }
  }
  await git(dir, ['commit', '-q', '--allow-empty', '-m', 'tree']);
  for (const tag of tags) await git(dir, ['tag', tag]);
  return (await git(dir, ['rev-parse', 'HEAD'])).toString().trim();
}

/** Clone the repository at dir bare, to bare (as the test git server serves it). */
export async function cloneBare(dir: string, bare: string): Promise<void> {
  await git(dirname(bare), ['clone', '-q', '--bare', '--no-local', dir, bare]);
}

/** Open a blob's content as a stream, as `git cat-file blob` writes it. */
function openBlob(gitDir: string, object: string): Promise<NodeJS.ReadableStream> {
  const child = spawn('git', ['cat-file', 'blob', object], { cwd: gitDir, env: gitEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: Buffer[] = [];
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  child.on('close', (code) => {
    if (code !== 0) child.stdout.destroy(new Error(`git cat-file blob ${object}: ${Buffer.concat(stderr).toString()}`));
  });
  return Promise.resolve(child.stdout);
}

/**
 * The files of a module at rev, as a git source lists them: `git ls-tree -r -l -z rev -- subdir/`
 * (every blob, symlink and gitlink under subdir, with sizes; no trees), each path made relative to
 * subdir, each content read with `git cat-file blob` when createModuleZip opens it.
 *   mode 100644/100755 -> file, 120000 -> symlink, 160000 -> submodule.
 */
export async function sourceFilesFromGit(gitDir: string, rev: string, subdir = ''): Promise<SourceFile[]> {
  const args = ['ls-tree', '-r', '-l', '-z', '--full-tree', rev];
  if (subdir !== '') args.push('--', `${subdir}/`);
  const out = (await git(gitDir, args)).toString('utf8');
  const files: SourceFile[] = [];
  for (const record of out.split('\0')) {
    if (record === '') continue;
    const tab = record.indexOf('\t');
    const [mode = '', , object = '', size = ''] = record.slice(0, tab).split(/ +/);
    const fullPath = record.slice(tab + 1);
    const path = subdir === '' ? fullPath : fullPath.slice(subdir.length + 1);
    const kind = mode === '120000' ? 'symlink' : mode === '160000' ? 'submodule' : mode === '040000' ? 'directory' : 'file';
    files.push({ path, kind, size: size === '-' ? 0 : Number(size), open: () => openBlob(gitDir, object) });
  }
  return files;
}

/**
 * The repository root's LICENSE as the go command reads it for a sub-directory module
 * (`git cat-file blob rev:LICENSE`: for a symbolic link, its target text), or null when there is
 * no such blob.
 */
export async function rootLicenseFromGit(gitDir: string, rev: string): Promise<SourceFile | null> {
  const out = (await git(gitDir, ['ls-tree', '-l', '-z', rev, '--', 'LICENSE'])).toString('utf8');
  const [mode = '', type = '', object = '', size = ''] = out.slice(0, out.indexOf('\t')).split(/ +/);
  if (type !== 'blob' || mode === '') return null;
  return { path: 'LICENSE', kind: 'file', size: Number(size), open: () => openBlob(gitDir, object) };
}

/** Every entry under dir, as a directory walk with lstat sees it: directories included, symbolic links not followed. */
export async function sourceFilesFromDirectory(dir: string, under = ''): Promise<SourceFile[]> {
  const files: SourceFile[] = [];
  for (const entry of await readdir(join(dir, under), { withFileTypes: true })) {
    const path = under === '' ? entry.name : `${under}/${entry.name}`;
    const full = join(dir, path);
    if (entry.isSymbolicLink()) {
      files.push({ path, kind: 'symlink', size: Buffer.byteLength(await readlink(full)), open: async () => createReadStream(full) });
    } else if (entry.isDirectory()) {
      files.push({ path, kind: 'directory', size: 0, open: async () => createReadStream(full) });
      files.push(...(await sourceFilesFromDirectory(dir, path)));
    } else {
      const { size } = await lstat(full);
      files.push({ path, kind: 'file', size, open: async () => createReadStream(full) });
    }
  }
  return files;
}
