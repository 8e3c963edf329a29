/**
 * `GET /vulndb/status`: the vulnerability database snapshot this proxy uses, as JSON, for the
 * operator's status (status.vulndb) and for monitoring:
 *
 *   {"url","modified","refreshedAt","stale","lastFailure"}
 *
 * modified is db.json's time of the snapshot in use and refreshedAt when the source last confirmed
 * it (both null before the first snapshot); stale is true while the last refresh failed, and
 * lastFailure then says why. Open like /readyz: it names no module and holds no secret.
 * With `vulndb: off` the path is 404, as every /vulndb/ path is.
 */
import type { FastifyInstance } from 'fastify';
import { proxyError } from '../errors.ts';
import type { ServerOptions } from './serverOptions.ts';

export const VULNDB_STATUS_PATH = '/vulndb/status';

export type VulndbStatus = { url: string; modified: string | null; refreshedAt: string | null; stale: boolean; lastFailure: string | null };

export function registerVulndbStatusRoute(app: FastifyInstance, options: ServerOptions): void {
  const { vulnDatabase: database } = options;
  app.get(VULNDB_STATUS_PATH, async (request, reply) => {
    request.proxyLog.kind = 'vulndb';
    if (!database) throw proxyError('NOT_FOUND', 'this proxy does not mirror the Go vulnerability database (its vulndb setting is off)');
    const snapshot = database.current();
    const failure = database.lastFailure();
    const status: VulndbStatus = {
      url: database.url,
      modified: snapshot?.modified ?? null,
      refreshedAt: snapshot ? snapshot.refreshedAt.toISOString() : null,
      stale: snapshot?.stale ?? false,
      lastFailure: failure ? `${failure.at.toISOString()}: ${failure.reason}` : null,
    };
    return reply.header('content-type', 'application/json').header('cache-control', 'no-store').send(JSON.stringify(status));
  });
}
