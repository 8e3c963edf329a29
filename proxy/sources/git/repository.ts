/**
 * A bare mirror of one remote git repository, kept in the proxy's git cache
 * folder and shared by every module and version in it: the repository is
 * fetched once for all of them (one fetch at a time, however many requests
 * ask), and refreshed when it is older than the caller allows.
 *
 * A first clone is made in a temporary folder and renamed into place, so a
 * half-cloned mirror is never used. The git cache may remove a mirror that is
 * not in use (mirrorCache.ts); forget() then makes the next use clone again.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { SingleFlight } from '../../singleFlight.ts';
import type { CacheSection, MemoryCache } from '../../memoryCache.ts';
import { extractTar, type ExtractedEntry } from './extractTar.ts';
import type { GitAccess } from './access.ts';
import { GitError, runGit, streamGit, type GitOptions } from './gitRunner.ts';
import type { ProcessSlots } from './processSlots.ts';

export type TreeEntry = {
  /** Path relative to the repository root. */
  path: string;
  mode: string;
  type: 'blob' | 'tree' | 'commit';
  object: string;
  size: number;
};

/** What the repositories of one git source share: the cap on git processes, and word of a mirror's growth. */
export type RepositoryHooks = {
  slots?: ProcessSlots;
  /** Called after a clone or fetch (the mirror may have grown). */
  fetched?: () => void;
};

export class GitRepository {
  readonly url: string;
  /** The bare mirror's folder. */
  readonly dir: string;
  private readonly hooks: RepositoryHooks;
  private readonly timeoutMs: number;
  private readonly extraProtocols: string[];
  private readonly fetches = new SingleFlight<void>();
  private fetchedAt = 0;
  /** The tags as of the last fetch (they change only when the mirror is fetched). */
  private tagCache: Promise<Map<string, string>> | null = null;
  /** What a commit holds never changes: file contents and times are remembered. */
  private readonly commitFacts: CacheSection<unknown>;
  private readonly factLookups = new SingleFlight<unknown>();

  private readonly access: () => GitAccess;

  constructor(url: string, cacheDir: string, timeoutMs: number, access: () => GitAccess, memoryCache: MemoryCache, hooks: RepositoryHooks = {}) {
    this.url = url;
    this.hooks = hooks;
    this.access = access;
    this.timeoutMs = timeoutMs;
    const scheme = new URL(url).protocol.replace(/:$/, '');
    this.extraProtocols = scheme === 'https' || scheme === 'ssh' ? [] : [scheme];
    this.dir = path.join(cacheDir, `${createHash('sha256').update(url).digest('hex').slice(0, 24)}.git`);
    // Facts are the mirror's: a mirror fetched with credentials shares none with one fetched without.
    this.commitFacts = memoryCache.section(`git ${this.dir}`, factBytes);
  }

  /** Makes sure the mirror exists and was fetched within maxAgeMs; returns whether it fetched. */
  async refresh(maxAgeMs: number): Promise<boolean> {
    if (this.fetchedAt > 0 && Date.now() - this.fetchedAt < maxAgeMs) return false;
    await this.fetches.do('fetch', () => this.fetchNow());
    return true;
  }

  private async fetchNow(): Promise<void> {
    const exists = await fs.stat(path.join(this.dir, 'HEAD')).then(() => true, () => false);
    if (exists) {
      await this.git(['fetch', '--prune', '--prune-tags', '--force', '--quiet', 'origin']);
    } else {
      await fs.mkdir(path.dirname(this.dir), { recursive: true });
      const temporary = `${this.dir}.tmp-${randomBytes(6).toString('hex')}`;
      try {
        await runGit(['clone', '--mirror', '--quiet', '--', this.url, temporary], this.options());
        await fs.rename(temporary, this.dir).catch(async (err: NodeJS.ErrnoException) => {
          // Another process won the race: use its mirror.
          if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
        });
      } finally {
        await fs.rm(temporary, { recursive: true, force: true });
      }
    }
    this.fetchedAt = Date.now();
    this.tagCache = null;
    this.hooks.fetched?.();
  }

  /** The mirror was removed (the git cache's size limit): the next use clones it again. */
  forget(): void {
    this.fetchedAt = 0;
    this.tagCache = null;
  }

  /** A fact computed once while it is remembered; a failure is not remembered. */
  private async remember<T>(key: string, compute: () => Promise<T>): Promise<T> {
    const known = this.commitFacts.get(key);
    if (known !== undefined) return known as T;
    const { value } = await this.factLookups.do(key, async () => {
      const fact = await compute();
      this.commitFacts.set(key, fact);
      return fact;
    });
    return value as T;
  }

  private options(): GitOptions {
    const access = this.access();
    return {
      timeoutMs: this.timeoutMs,
      extraProtocols: this.extraProtocols,
      config: access.config,
      env: access.env,
      sshCommand: access.sshCommand,
      secrets: access.secrets,
      ...(this.hooks.slots && { slots: this.hooks.slots }),
    };
  }

  private git(args: string[], input?: string): Promise<Buffer> {
    return runGit(args, { ...this.options(), gitDir: this.dir, ...(input !== undefined && { input }) });
  }

  /** Tag name -> the commit it points at (annotated tags dereferenced). */
  tags(): Promise<Map<string, string>> {
    this.tagCache ??= this.readTags();
    const tags = this.tagCache;
    tags.catch(() => {
      if (this.tagCache === tags) this.tagCache = null;
    });
    return tags;
  }

  private async readTags(): Promise<Map<string, string>> {
    // show-ref -d adds "<tag>^{}" lines with the object an annotated tag finally points at.
    let out: string;
    try {
      out = (await this.git(['show-ref', '--tags', '-d'])).toString();
    } catch (err) {
      if (err instanceof GitError) return new Map(); // no tags at all
      throw err;
    }
    const tags = new Map<string, string>();
    for (const line of out.split('\n')) {
      const space = line.indexOf(' ');
      if (space < 0) continue;
      const object = line.slice(0, space);
      const ref = line.slice(space + 1).replace(/^refs\/tags\//, '');
      if (ref.endsWith('^{}')) tags.set(ref.slice(0, -3), object);
      else if (!tags.has(ref)) tags.set(ref, object);
    }
    return tags;
  }

  /** Tags reachable from a commit. */
  tagsMergedInto(commit: string): Promise<string[]> {
    // Depends on the tags too, so it is remembered per fetch.
    return this.remember(`merged ${this.fetchedAt} ${commit}`, async () => {
      const out = (await this.git(['tag', '--merged', commit])).toString();
      return out.split('\n').filter(Boolean);
    });
  }

  /** The commit a revision (branch, tag, hash or hash prefix) names; null when it names none. */
  async resolveCommit(revision: string): Promise<string | null> {
    if (revision.startsWith('-')) return null;
    for (const candidate of [`refs/heads/${revision}`, `refs/tags/${revision}`, revision]) {
      try {
        return (await this.git(['rev-parse', '--verify', '--quiet', `${candidate}^{commit}`])).toString().trim();
      } catch (err) {
        if (!(err instanceof GitError)) throw err;
      }
    }
    return null;
  }

  /** The default branch's commit. */
  async head(): Promise<string> {
    return (await this.git(['rev-parse', '--verify', 'HEAD^{commit}'])).toString().trim();
  }

  /** The committer time of a commit. */
  commitTime(commit: string): Promise<Date> {
    return this.remember(`time ${commit}`, async () => {
      const seconds = Number((await this.git(['show', '-s', '--format=%ct', commit])).toString().trim());
      return new Date(seconds * 1000);
    });
  }

  /** A regular file's content at a commit; null when there is none (or it is a symbolic link). */
  readFile(commit: string, file: string): Promise<Buffer | null> {
    return this.remember(`file ${commit} ${file}`, async () => {
      const entries = await this.listTree(commit, file);
      const entry = entries.find((e) => e.path === file && e.type === 'blob');
      if (!entry || entry.mode === '120000') return null;
      return this.readBlob(entry.object);
    });
  }

  /**
   * Writes the files of a commit (below `folder`, or all) into `destination` as the go command
   * reads them: through `git archive` with line endings as .gitattributes asks (core.eol=lf,
   * core.autocrlf=input), but with export-ignore and export-subst switched off.
   */
  async exportTree(commit: string, folder: string, destination: string, maxBytes = Number.POSITIVE_INFINITY): Promise<ExtractedEntry[]> {
    await fs.mkdir(path.join(this.dir, 'info'), { recursive: true });
    await fs.writeFile(path.join(this.dir, 'info', 'attributes'), '* -export-subst -export-ignore\n');
    const args = ['-c', 'core.autocrlf=input', '-c', 'core.eol=lf', 'archive', '--format=tar', commit];
    if (folder !== '') args.push('--', folder);
    let entries: ExtractedEntry[] = [];
    await streamGit(args, { ...this.options(), gitDir: this.dir }, async (stdout) => {
      entries = await extractTar(stdout, destination, maxBytes);
    });
    return entries;
  }

  async readBlob(object: string): Promise<Buffer> {
    return this.git(['cat-file', 'blob', object]);
  }

  /** Every entry below a folder (or the file itself) at a commit, recursively. */
  async listTree(commit: string, folder: string): Promise<TreeEntry[]> {
    const args = ['ls-tree', '-r', '-l', '-z', '--full-tree', commit];
    if (folder !== '') args.push('--', folder);
    const out = (await this.git(args)).toString('utf8');
    const entries: TreeEntry[] = [];
    for (const record of out.split('\0')) {
      if (!record) continue;
      const tab = record.indexOf('\t');
      const [mode, type, object, size] = record.slice(0, tab).split(/\s+/);
      entries.push({
        path: record.slice(tab + 1),
        mode: mode!,
        type: type as TreeEntry['type'],
        object: object!,
        size: size === '-' ? 0 : Number(size),
      });
    }
    return entries;
  }
}

/** The bytes a remembered fact holds: file contents, tag names, or a time. */
function factBytes(fact: unknown): number {
  if (Buffer.isBuffer(fact)) return fact.length;
  if (Array.isArray(fact)) return fact.reduce((bytes: number, item) => bytes + String(item).length, 0);
  return 8;
}
