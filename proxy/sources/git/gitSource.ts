/**
 * Modules built straight from their git repositories, natively: versions
 * from tags, pseudo-versions for other commits, .mod from the commit, and the
 * zip by the module zip rules from the commit's tree — no go binary involved.
 *
 * Repositories are mirrored once and shared by all their modules and
 * versions. `list`, `@latest` and queries look at a mirror no older than the
 * list TTL; a canonical version that is not yet known fetches once more.
 */
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { proxyError, isProxyError } from '../../errors.ts';
import type { Logger } from 'pino';
import type { CacheSection, MemoryCache } from '../../memoryCache.ts';
import { createModuleZip, formatBytes, withRootLicense, type SourceFile } from '../../modzip/index.ts';
import { isCanonicalVersion, moduleRequestPath, type ModuleRequest } from '../../protocol/index.ts';
import { MAX_ZIP_FILE, type ModuleSource } from '../source.ts';
import { gitAccess } from './access.ts';
import { GitError } from './gitRunner.ts';
import { discoverRepository } from './discover.ts';
import { locateDiscovered, locateModule, type GitHost, type ModuleLocation } from './locate.ts';
import { ExportLimitError } from './extractTar.ts';
import { MirrorCache } from './mirrorCache.ts';
import { ProcessSlots } from './processSlots.ts';
import { GitRepository } from './repository.ts';
import { findModuleRoot, listVersions, resolveRevision, type Revision } from './versions.ts';

export type GitSourceOptions = {
  /** Folder for the bare mirrors. */
  cacheDir: string;
  /** Hosts and where their repositories are. */
  hosts: Record<string, GitHost>;
  /** How old a mirror may be for list, @latest and queries. */
  refreshMs: number;
  timeoutMs: number;
  /** Where discovered repository locations are remembered. */
  memoryCache: MemoryCache;
  /** How many git processes may run at once (default 4). */
  maxProcesses?: number;
  /** How many bytes the mirrors may take together (default: no limit). */
  cacheBytes?: number;
  /** The most the files of one exported module version may add up to (default: the module zip limit). */
  exportLimitBytes?: number;
  logger?: Logger;
};


export class GitSource implements ModuleSource {
  readonly name = 'git';
  private readonly options: GitSourceOptions;
  private readonly repositories = new Map<string, GitRepository>();
  /** Where ?go-get=1 pages said a module's repository is, with when they said it. */
  private readonly discovered: CacheSection<{ at: number; location: ModuleLocation }>;
  private readonly slots: ProcessSlots;
  private readonly mirrors: MirrorCache;
  private readonly exportLimit: number;

  constructor(options: GitSourceOptions) {
    this.options = options;
    this.discovered = options.memoryCache.section('discovered repositories', (entry) => JSON.stringify(entry.location).length);
    this.slots = new ProcessSlots(options.maxProcesses ?? 4);
    this.mirrors = new MirrorCache(options.cacheDir, options.cacheBytes ?? Number.POSITIVE_INFINITY, options.logger);
    this.exportLimit = Math.min(options.exportLimitBytes ?? MAX_ZIP_FILE, MAX_ZIP_FILE);
  }

  async fetchBytes(request: ModuleRequest): Promise<Buffer> {
    return this.withRepository(request, async (location, repo) => {
      switch (request.kind) {
        case 'list': {
          await repo.refresh(this.options.refreshMs);
          const versions = await listVersions(repo, location);
          return Buffer.from(versions.map((v) => `${v}\n`).join(''));
        }
        case 'latest': {
          await repo.refresh(this.options.refreshMs);
          return this.infoJson(location, await resolveRevision(repo, location, 'latest'));
        }
        case 'info':
          return this.infoJson(location, await this.revision(repo, location, request.version));
        case 'mod': {
          const revision = await this.revision(repo, location, request.version);
          const root = await findModuleRoot(repo, location, revision.commit);
          return root.goMod ?? Buffer.from(`module ${location.modulePath}\n`);
        }
        case 'zip':
          throw new Error('zip is written with fetchToFile');
      }
    });
  }

  async fetchToFile(request: ModuleRequest, file: string): Promise<number> {
    if (request.kind !== 'zip') throw new Error(`${request.kind} is answered by fetchBytes`);
    return this.withRepository(request, async (location, repo) => {
      const revision = await this.revision(repo, location, request.version);
      const root = await findModuleRoot(repo, location, revision.commit);
      await fs.mkdir(this.options.cacheDir, { recursive: true });
      const work = await fs.mkdtemp(path.join(this.options.cacheDir, 'export-'));
      try {
        let exported;
        try {
          exported = await repo.exportTree(revision.commit, root.dir, work, this.exportLimit);
        } catch (err) {
          if (!(err instanceof ExportLimitError)) throw err;
          throw proxyError(
            'BAD_UPSTREAM_CONTENT',
            `${moduleRequestPath(request, { escaped: false })}: the files of ${location.displayUrl} at ${revision.commit.slice(0, 12)} add up to more than ${formatBytes(err.maxBytes)} (export stopped at ${JSON.stringify(err.entry)}), the module zip limit; refusing the module`,
          );
        }
        const files = exported.flatMap((entry): SourceFile[] => {
          if (entry.kind === 'other') return [];
          const relative = root.dir === '' ? entry.path : path.posix.relative(root.dir, entry.path);
          if (relative === '' || relative.startsWith('..')) return [];
          const onDisk = path.join(work, entry.path);
          return [{ path: relative, kind: entry.kind, size: entry.size, open: async () => createReadStream(onDisk) }];
        });
        // A module in a sub-folder without a LICENSE of its own gets the repository's.
        let license: SourceFile | null = null;
        if (root.dir !== '') {
          const [rootLicense] = (await repo.listTree(revision.commit, 'LICENSE')).filter((e) => e.path === 'LICENSE');
          // A LICENSE that is a symbolic link is copied as the link's text, as the go command does.
          if (rootLicense && rootLicense.type === 'blob') {
            license = { path: 'LICENSE', kind: 'file', size: rootLicense.size, open: () => repo.readBlob(rootLicense.object) };
          }
        }
        const result = await createModuleZip(file, { path: location.modulePath, version: revision.version }, withRootLicense(files, license));
        return result.zipBytes;
      } finally {
        await fs.rm(work, { recursive: true, force: true });
      }
    });
  }

  /** A canonical version, fetching the repository again once if its tag is not known yet. */
  private async revision(repo: GitRepository, location: ModuleLocation, version: string): Promise<Revision> {
    if (!isCanonicalVersion(version)) await repo.refresh(this.options.refreshMs);
    try {
      return await resolveRevision(repo, location, version);
    } catch (err) {
      if (!isProxyError(err) || !err.isNotFound || !(await repo.refresh(0))) throw err;
      return resolveRevision(repo, location, version);
    }
  }

  private infoJson(location: ModuleLocation, revision: Revision): Buffer {
    const origin: Record<string, string> = { VCS: 'git', URL: location.displayUrl };
    if (location.codeDir !== '') origin['Subdir'] = location.codeDir;
    origin['Hash'] = revision.commit;
    if (revision.tag !== undefined) origin['Ref'] = `refs/tags/${revision.tag}`;
    const time = revision.time.toISOString().replace(/\.\d{3}Z$/, 'Z');
    return Buffer.from(JSON.stringify({ Version: revision.version, Time: time, Origin: origin }));
  }

  private repository(location: ModuleLocation): GitRepository {
    let repo = this.repositories.get(location.fetchUrl);
    if (!repo) {
      const hostName = location.repoRoot.split('/')[0]!;
      repo = new GitRepository(location.fetchUrl, this.options.cacheDir, this.options.timeoutMs, () => gitAccess(hostName, location.host), this.options.memoryCache, {
        slots: this.slots,
        fetched: () => void this.mirrors.shrink(),
      });
      const forgetful = repo;
      this.mirrors.register(repo.dir, () => forgetful.forget());
      this.repositories.set(location.fetchUrl, repo);
    }
    return repo;
  }

  /** Where the module's repository is: by the path's rules, or by ?go-get=1 for hosts that ask for it. */
  private async locate(modulePath: string): Promise<ModuleLocation> {
    const hostName = modulePath.split('/')[0]!;
    const host = this.options.hosts[hostName];
    if (!host?.discover || /\.git(\/|$)/.test(modulePath)) return locateModule(modulePath, this.options.hosts);
    const cached = this.discovered.get(modulePath);
    if (cached && Date.now() - cached.at < this.options.refreshMs) return cached.location;
    const found = await discoverRepository(modulePath, host.url, this.options.timeoutMs);
    const scheme = new URL(found.repoUrl).protocol;
    // A discovered URL may use plain http only when the host itself is configured with http.
    if (!['https:', 'ssh:'].includes(scheme) && !(scheme === 'http:' && host.url.startsWith('http:'))) {
      throw proxyError('NOT_FOUND', `${modulePath}: ?go-get=1 names the repository ${found.repoUrl}, whose scheme is not allowed (https or ssh)`);
    }
    const location = locateDiscovered(modulePath, found.prefix, found.repoUrl, this.options.hosts);
    this.discovered.set(modulePath, { at: Date.now(), location });
    return location;
  }

  /** Locates the module, makes sure its mirror exists, and turns git failures into answers. */
  private async withRepository<T>(request: ModuleRequest, work: (location: ModuleLocation, repo: GitRepository) => Promise<T>): Promise<T> {
    const location = await this.locate(request.module);
    const repo = this.repository(location);
    try {
      return await this.mirrors.use(repo.dir, async () => {
        await repo.refresh(Number.POSITIVE_INFINITY);
        return work(location, repo);
      });
    } catch (err) {
      if (err instanceof GitError) {
        // git names the mirror's folder in some errors; no answer may reveal a server path.
        const reason = err.reason.replaceAll(this.options.cacheDir, '<git cache>');
        const denied = /could not read Username|Authentication failed|401|403/i.test(reason);
        if (denied) {
          throw proxyError(
            'UPSTREAM_FAILED',
            `${moduleRequestPath(request, { escaped: false })}: git repository ${location.displayUrl} refused the credentials (${reason}); check the git host's token in the settings`,
          );
        }
        const missing = /not found|does not exist|repository .* not found|404/i.test(reason);
        throw proxyError(
          missing ? 'NOT_FOUND' : 'UPSTREAM_FAILED',
          `${moduleRequestPath(request, { escaped: false })}: git repository ${location.displayUrl}: ${reason || err.message.replaceAll(this.options.cacheDir, '<git cache>')}`,
        );
      }
      throw err;
    }
  }
}
