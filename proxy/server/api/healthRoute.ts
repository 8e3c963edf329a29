/**
 * `/api/health` (admin): the upstreams' last success and failure (this replica, since start),
 * the checksum database's verified tree size and last check, what the store uses and holds,
 * the git mirrors and their size, and the last cleanup's report (from the store, whichever
 * replica or job ran it). Nothing here asks an upstream or the database.
 */
import type { FastifyInstance } from 'fastify';
import type { ModuleCatalog } from '../../catalog/index.ts';
import { readLastCleanup } from '../../commands/cleanup.ts';
import type { Config } from '../../config.ts';
import { listMirrors, mirrorOrigin, type SourceChain } from '../../sources/index.ts';
import type { Storage } from '../../storage/index.ts';
import type { ChecksumDatabase } from '../../sumdb/index.ts';
import { requireAdmin, type ApiAccess } from './apiAccess.ts';
import { sendJson } from './apiReply.ts';
import { readQuery } from './queryParameters.ts';

export type HealthRouteOptions = {
  access: ApiAccess;
  config: Pick<Config, 'storage' | 'git'>;
  storage: Storage;
  catalog: ModuleCatalog;
  checksumDatabase: ChecksumDatabase | null;
  sourceChains: SourceChain[];
};

export function registerHealthRoute(api: FastifyInstance, options: HealthRouteOptions): void {
  api.get('/api/health', async (request, reply) => {
    readQuery(request, []);
    requireAdmin(options.access.caller(request, reply), '/api/health');
    const { catalog, storage, checksumDatabase } = options;
    const [sumdb, freeBytes, gitMirrors, lastCleanup] = await Promise.all([
      checksumDatabase ? checksumDatabase.health().then((state) => ({ name: checksumDatabase.name, ...state })) : null,
      storage.freeBytes ? storage.freeBytes().catch(() => null) : null,
      mirrorsIn(options.config.git.cacheDir),
      readLastCleanup(storage),
    ]);
    return sendJson(reply, 200, {
      upstreams: options.sourceChains.flatMap((chain) =>
        chain.stats
          .report(chain.entries.map((e) => e.source.name))
          .filter((r) => r.name !== 'off')
          .map(({ name, lastSuccess, lastFailure, lastError, requests, errors }) => ({ url: name, lastSuccess, lastFailure, lastError, requests, errors })),
      ),
      sumdb,
      storage: {
        type: options.config.storage.type,
        usedBytes: catalog.storedBytes,
        growth: catalog.storageGrowth,
        freeBytes,
        versions: catalog.counts.versions,
        modules: catalog.counts.modules,
        listed: catalog.complete,
      },
      gitMirrors,
      lastCleanup,
    });
  });
}

/** The git cache's mirrors, largest first, with the host and repository each was cloned from. */
async function mirrorsIn(folder: string): Promise<Array<{ host: string | null; repository: string | null; bytes: number; lastUsed: string }>> {
  const mirrors = await listMirrors(folder).catch(() => []);
  const described = await Promise.all(
    mirrors.map(async (mirror) => {
      const origin = await mirrorOrigin(folder, mirror.name);
      let host: string | null = null;
      let repository: string | null = null;
      try {
        const url = new URL(origin ?? '');
        host = url.host;
        repository = url.pathname.replace(/^\/+/, '').replace(/\.git$/, '');
      } catch {
        repository = origin;
      }
      return { host, repository, bytes: mirror.bytes, lastUsed: new Date(mirror.lastUsed).toISOString() };
    }),
  );
  return described.sort((a, b) => b.bytes - a.bytes);
}
