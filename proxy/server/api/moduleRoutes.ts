/**
 * Search and browse: `/api/modules` (module paths, searched and paginated), `/api/module` (a
 * module's versions) and `/api/version` (one version: its go.mod, the files of its zip, its
 * checksum database state). Lists and versions come from the catalog, in memory; details of a
 * version are read from storage once and kept.
 */
import type { FastifyInstance } from 'fastify';
import { compareSortKeys, listZipFiles, loadModuleDetails, type CatalogModule, type CatalogVersion, type ModuleCatalog } from '../../catalog/index.ts';
import { compareSemver, escapePath, escapeVersion } from '../../protocol/index.ts';
import { versionKey, type Storage } from '../../storage/index.ts';
import type { ModuleChecksums, ChecksumDatabase } from '../../sumdb/index.ts';
import type { VulnerableVersions } from '../../vulndb/vulnerableVersions.ts';
import type { ApiAccess, ApiCaller } from './apiAccess.ts';
import { badRequest, notFound, sendJson } from './apiReply.ts';
import { pageOf } from './pagination.ts';
import { choiceOf, limitOf, modulePathOf, readQuery, versionOf } from './queryParameters.ts';

export type ModuleRouteOptions = {
  catalog: ModuleCatalog;
  storage: Storage;
  access: ApiAccess;
  checksums: ModuleChecksums;
  checksumDatabase: ChecksumDatabase | null;
  /** The advisories of a stored version; none (vulndb off): the answers carry no `vulnerabilities`. */
  vulnerabilities?: Pick<VulnerableVersions, 'advisoriesFor'>;
};

type SortKey = { folded: string; path: string };

const isSortKey = (value: unknown): value is SortKey =>
  typeof value === 'object' && value !== null && typeof (value as SortKey).folded === 'string' && typeof (value as SortKey).path === 'string';

const MAX_QUERY_LENGTH = 1000;

export function registerModuleRoutes(api: FastifyInstance, options: ModuleRouteOptions): void {
  const { catalog, storage, access } = options;

  api.get('/api/modules', async (request, reply) => {
    const query = readQuery(request, ['q', 'match', 'limit', 'cursor']);
    const caller = access.caller(request, reply);
    const text = query['q'] ?? '';
    if (text.length > MAX_QUERY_LENGTH) throw badRequest(`q is ${text.length} characters long; give at most ${MAX_QUERY_LENGTH} (a part of a module path)`);
    const match = choiceOf(query, 'match', ['substring', 'prefix'] as const);
    const found = catalog.search(text, match, (module) => caller.mayRead(module.path));
    const page = pageOf(found, { limit: limitOf(query), cursor: query['cursor'], keyOf: ({ folded, path }) => ({ folded, path }), isKey: isSortKey, compare: compareSortKeys });
    return sendJson(reply, 200, {
      items: page.items.map((module) => ({
        path: module.path,
        versions: module.versions.size,
        latest: catalog.latestOf(module) ?? null,
        lastDownload: isoTime(module.lastDownload),
      })),
      next: page.next,
      total: page.total,
      complete: catalog.complete,
    });
  });

  api.get('/api/module', async (request, reply) => {
    const query = readQuery(request, ['path']);
    const caller = access.caller(request, reply);
    const module = await readableModule(options, caller, modulePathOf(query));
    const versions = [...module.versions.values()].sort((a, b) => compareSemver(b.version, a.version));
    return sendJson(reply, 200, {
      path: module.path,
      latest: catalog.latestOf(module) ?? null,
      versions: versions.map((entry) => versionSummary(options, module.path, entry)),
      goGet: `go get ${module.path}@latest`,
    });
  });

  api.get('/api/version', async (request, reply) => {
    const query = readQuery(request, ['path', 'version']);
    const caller = access.caller(request, reply);
    const modulePath = modulePathOf(query);
    const version = versionOf(query);
    const module = await readableModule(options, caller, modulePath);
    const entry = module.versions.get(version);
    if (!entry) throw notFound(`${modulePath}@${version} is not in this proxy's store; /api/module?path=${modulePath} lists the versions it holds`);
    const mod = await storage.readBytes(versionKey(modulePath, version, 'mod'));
    const listing = entry.hasZip ? await listZipFiles(storage, versionKey(modulePath, version, 'zip'), `${modulePath}@${version}/`).catch((err: unknown) => {
      request.log.warn({ module: modulePath, version, reason: (err as Error).message }, 'could not list the files of a stored zip');
      return null;
    }) : null;
    return sendJson(reply, 200, {
      path: modulePath,
      ...versionSummary(options, modulePath, entry),
      goMod: mod?.toString('utf8') ?? null,
      files: listing?.files ?? null,
      filesOmitted: listing?.omitted ?? 0,
      sumdb: checksumState(options, modulePath, entry),
      goGet: `go get ${modulePath}@${version}`,
      download: { mod: `/${escapePath(modulePath)}/@v/${escapeVersion(version)}.mod`, zip: `/${escapePath(modulePath)}/@v/${escapeVersion(version)}.zip` },
    });
  });
}

/** The module, with every version's details read; 404 alike when it is not held and when the caller may not read it. */
async function readableModule(options: ModuleRouteOptions, caller: ApiCaller, modulePath: string): Promise<CatalogModule> {
  const absent = () =>
    notFound(
      `module ${modulePath} is not in this proxy's store${options.catalog.complete ? '' : ' (the store is still being listed; try again shortly)'}; it appears once the go command has downloaded it through the proxy`,
    );
  const module = options.catalog.module(modulePath);
  if (!module || !caller.mayRead(modulePath)) throw absent();
  await loadModuleDetails(options.catalog, options.storage, module);
  if (module.versions.size === 0 || options.catalog.module(modulePath) !== module) throw absent();
  return module;
}

/**
 * What the list of a module's versions and a version's page show of it. `vulnerabilities` holds the
 * IDs of the advisories affecting it by the newest vulnerability database snapshot; it is absent
 * when nothing is known (vulndb off, or no snapshot yet), which is not the same as none.
 */
function versionSummary(options: ModuleRouteOptions, modulePath: string, entry: CatalogVersion) {
  const details = entry.details;
  const advisories = options.vulnerabilities?.advisoriesFor(modulePath, entry.version);
  return {
    version: entry.version,
    time: details?.time ?? null,
    size: details?.size ?? null,
    h1: details?.h1 ?? null,
    goModH1: details?.goModH1 ?? null,
    source: details?.source ?? 'unknown',
    lastDownload: isoTime(entry.lastDownload),
    ...(advisories ? { vulnerabilities: advisories.map((advisory) => advisory.id) } : {}),
  };
}

/**
 * The checksum database's word on a version: `off` without a database, `private` for paths it
 * is never asked about (private, nosumdb), `verified` when the provenance record says the
 * database agreed when it was stored, else `not-checked`.
 */
function checksumState(options: ModuleRouteOptions, modulePath: string, entry: CatalogVersion) {
  const database = options.checksumDatabase;
  if (!database) return { state: 'off', database: null };
  if (!options.checksums.mayLookUp(modulePath)) return { state: 'private', database: null };
  return { state: entry.details?.checksum === 'verified' ? 'verified' : 'not-checked', database: database.name };
}

function isoTime(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
