/**
 * Modules built straight from their git repositories, natively: versions
 * from tags, pseudo-versions for other commits, .mod from the commit, and the
 * zip by the module zip rules from the commit's tree — no go binary involved.
 *
 * Repositories are mirrored once and shared by all their modules and
 * versions. `list`, `@latest` and queries look at a mirror no older than the
 * list TTL; a canonical version that is not yet known fetches once more.
 *
 * Two of these run in a proxy. The source of `private` modules uses the
 * host map's credentials (each only for its own origin) and reaches the
 * hosts the settings name. `direct`, for public modules, never sends
 * credentials, follows no redirects, keeps its mirrors apart, and connects
 * only where its DirectPolicy allows. Clients are told what failed in the
 * proxy's words; git's and the network's own words, which may name internal
 * hosts, go to the log.
 */
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { proxyError, isProxyError, type ProxyError } from '../../errors.ts';
import { loadHttpClient } from '../../httpClient.ts';
import type { CacheSection, MemoryCache } from '../../memoryCache.ts';
import { createModuleZip, formatBytes, withRootLicense, type SourceFile } from '../../modzip/index.ts';
import { isCanonicalVersion, moduleRequestPath, type ModuleRequest } from '../../protocol/index.ts';
import { MAX_ZIP_FILE, type ModuleSource } from '../source.ts';
import { gitAccess, originOf } from './access.ts';
import { GitError } from './gitRunner.ts';
import { discoverRepository } from './discover.ts';
import { pinnedLookup, pinnedResolve, type DirectPolicy } from './directPolicy.ts';
import { locateDiscovered, locatedByPath, locateModule, type GitHost, type ModuleLocation } from './locate.ts';
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
  /** Where git's own words about a failure go (clients get the proxy's words). */
  logger?: Logger;
  /**
   * Absent: the source of `private` modules (host map credentials, any host the settings name).
   * Present: `direct` for public modules, within this policy, without credentials.
   */
  direct?: DirectPolicy;
  /** Where discovered repository locations are remembered. */
  memoryCache: MemoryCache;
  /** How many git processes may run at once (default 4); ignored when `slots` is given. */
  maxProcesses?: number;
  /** Process slots shared with another source, so that the cap holds for both together. */
  slots?: ProcessSlots;
  /** How many bytes the mirrors may take together (default: no limit). */
  cacheBytes?: number;
  /** The most the files of one exported module version may add up to (default: the module zip limit). */
  exportLimitBytes?: number;
};

export class GitSource implements ModuleSource {
  readonly name: string;
  private readonly options: GitSourceOptions;
  private readonly cacheDir: string;
  private readonly repositories = new Map<string, GitRepository>();
  /** Where ?go-get=1 pages said a module's repository is, with when they said it. */
  private readonly discovered: CacheSection<{ at: number; location: ModuleLocation }>;
  private readonly slots: ProcessSlots;
  private readonly mirrors: MirrorCache;
  private readonly exportLimit: number;
  /** direct: the git configuration that pins each repository URL to the addresses last checked. */
  private readonly pins = new Map<string, Record<string, string>>();

  constructor(options: GitSourceOptions) {
    this.options = options;
    this.name = options.direct ? 'direct' : 'git';
    this.discovered = options.memoryCache.section(`${this.name}: discovered repositories`, (entry) => JSON.stringify(entry.location).length);
    // Mirrors fetched with credentials are never read for a public module.
    this.cacheDir = options.direct ? path.join(options.cacheDir, 'direct') : options.cacheDir;
    this.slots = options.slots ?? new ProcessSlots(options.maxProcesses ?? 4);
    this.mirrors = new MirrorCache(this.cacheDir, options.cacheBytes ?? Number.POSITIVE_INFINITY, options.logger);
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
      await fs.mkdir(this.cacheDir, { recursive: true });
      const work = await fs.mkdtemp(path.join(this.cacheDir, 'export-'));
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
      const moduleHostName = location.modulePath.split('/')[0]!;
      // The entry the URL was made from; else the module's own, for its trust (caFile) only:
      // gitAccess gives credentials to their own origin alone.
      const hostName = location.hostName ?? moduleHostName;
      const host = location.host ?? this.options.hosts[moduleHostName];
      const direct = this.options.direct !== undefined;
      repo = new GitRepository(
        location.fetchUrl,
        this.cacheDir,
        this.options.timeoutMs,
        () => {
          const access = gitAccess(hostName, host, location.fetchUrl, !direct);
          if (direct) {
            // A redirect could lead anywhere, past the address check: direct follows none.
            access.config['http.followRedirects'] = 'false';
            Object.assign(access.config, this.pins.get(location.fetchUrl));
          }
          return access;
        },
        this.options.memoryCache,
        { slots: this.slots, fetched: () => void this.mirrors.shrink() },
      );
      const forgetful = repo;
      this.mirrors.register(repo.dir, () => forgetful.forget());
      this.repositories.set(location.fetchUrl, repo);
    }
    return repo;
  }

  /**
   * Where the module's repository is: by the path's rules, or by its ?go-get=1 page — for hosts of
   * the host map that ask for it, and for `direct`, as the go command does, for every path the
   * rules cannot place (golang.org/x/…, k8s.io/…), at https://<host>.
   */
  private async locate(modulePath: string): Promise<ModuleLocation> {
    const hostName = modulePath.split('/')[0]!;
    const host = this.options.hosts[hostName];
    const direct = this.options.direct !== undefined;
    const pageBase = host?.discover ? host.url : direct && !locatedByPath(modulePath, this.options.hosts) ? `https://${hostName}` : null;
    if (pageBase === null || /\.git(\/|$)/.test(modulePath)) return locateModule(modulePath, this.options.hosts);
    const cached = this.discovered.get(modulePath);
    if (cached && Date.now() - cached.at < this.options.refreshMs) return cached.location;
    const found = await this.discover(modulePath, pageBase);
    const scheme = new URL(found.repoUrl).protocol;
    // A discovered URL may use plain http only when its page is itself on http (a host configured so);
    // `direct` fetches over http(s) only, where every connection is pinned to its checked addresses.
    const schemes = direct ? ['https:'] : ['https:', 'ssh:'];
    if (!schemes.includes(scheme) && !(scheme === 'http:' && pageBase.startsWith('http:'))) {
      throw proxyError('NOT_FOUND', `${modulePath}: ?go-get=1 names the repository ${found.repoUrl}, whose scheme is not allowed (${schemes.map((s) => s.slice(0, -1)).join(' or ')})`);
    }
    const location = locateDiscovered(modulePath, found.prefix, found.repoUrl, this.options.hosts);
    // A page of a host with credentials may point only at its own origin, or at one the operator
    // listed. `direct` sends no credentials, and checks every host it connects to, so any origin.
    if (!direct) {
      const listed = (host!.discoverOrigins ?? []).map(originOf);
      const named = originOf(found.repoUrl);
      const fetched = originOf(location.fetchUrl);
      if (fetched !== originOf(host!.url) && !listed.includes(fetched) && !listed.includes(named)) {
        throw proxyError(
          'FORBIDDEN',
          `${modulePath}: its ?go-get=1 page at ${originOf(host!.url)} names a repository on another origin, ${named}${named === fetched ? '' : ` (fetched from ${fetched})`}; ` +
            `repositories are fetched only from the host's own origin, or from one listed in git.hosts.${hostName}.discoverOrigins`,
        );
      }
    }
    this.discovered.set(modulePath, { at: Date.now(), location });
    return location;
  }

  /** The ?go-get=1 answer; for direct, from a page host that passed the policy, at the address checked. */
  private async discover(modulePath: string, pageBase: string) {
    if (!this.options.direct) return discoverRepository(modulePath, pageBase, this.options.timeoutMs);
    const checked = await this.options.direct.checkHost(modulePath, new URL(pageBase).hostname);
    const lookup = pinnedLookup(checked);
    const { Agent } = await loadHttpClient();
    const agent = new Agent({ ...(lookup && { connect: { lookup } }) });
    try {
      return await discoverRepository(modulePath, pageBase, this.options.timeoutMs, agent);
    } finally {
      await agent.close();
    }
  }

  /** Locates the module, makes sure its mirror exists, and turns git failures into answers. */
  private async withRepository<T>(request: ModuleRequest, work: (location: ModuleLocation, repo: GitRepository) => Promise<T>): Promise<T> {
    let location: ModuleLocation | undefined;
    try {
      this.options.direct?.checkModule(request.module);
      location = await this.locate(request.module);
      const repo = this.repository(location);
      if (this.options.direct) {
        const url = new URL(location.fetchUrl);
        const checked = await this.options.direct.checkHost(request.module, url.hostname);
        this.pins.set(location.fetchUrl, pinnedResolve(checked, url));
      }
      const found = location;
      return await this.mirrors.use(repo.dir, async () => {
        await repo.refresh(Number.POSITIVE_INFINITY);
        return work(found, repo);
      });
    } catch (err) {
      throw this.answer(request, location, err);
    }
  }

  /**
   * The client's answer for a failure, in the proxy's words. git's own words (and the network's),
   * which may name internal hosts, are the answer's cause: the request's one log line carries them.
   */
  private answer(request: ModuleRequest, location: ModuleLocation | undefined, err: unknown): unknown {
    const what = moduleRequestPath(request, { escaped: false });
    if (!(err instanceof GitError)) return err;
    const display = `git repository ${location?.displayUrl ?? request.module}`;
    const reason = err.reason;
    let answer: ProxyError;
    if (/could not read Username|Authentication failed|\b40[13]\b/i.test(reason)) {
      answer = this.options.direct
        ? proxyError('UPSTREAM_FAILED', `${what}: ${display} asks for credentials, and \`direct\` sends none (a private module belongs in the private setting)`, err)
        : proxyError('UPSTREAM_FAILED', `${what}: ${display} refused the credentials; check the git host's token in the settings`, err);
    } else if (/not found|does not exist|\b404\b/i.test(reason)) {
      answer = proxyError('NOT_FOUND', `${what}: ${display}: not found`, err);
    } else if (/certificate|SSL|TLS/i.test(reason)) {
      answer = proxyError('UPSTREAM_FAILED', `${what}: ${display}: its TLS certificate is not trusted (for an internal CA, set the host's caFile)`, err);
    } else if (/resolve host|Failed to connect|Couldn't connect|Connection refused|Connection timed out|unreachable|No route to host|Connection reset|Empty reply|Recv failure/i.test(reason)) {
      answer = proxyError('UPSTREAM_FAILED', `${what}: ${display} cannot be reached`, err);
    } else {
      answer = proxyError('UPSTREAM_FAILED', `${what}: ${display}: git failed (its message is in the proxy's log)`, err);
    }
    return answer;
  }
}
