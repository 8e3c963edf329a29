/**
 * The Go vulnerability database mirror, in the layout govulncheck reads
 * (`govulncheck -db https://proxy/vulndb`, or GOVULNDB):
 *
 *   /vulndb/index/db.json[.gz]        when the database last changed
 *   /vulndb/index/modules.json[.gz]   the modules with advisories
 *   /vulndb/index/vulns.json[.gz]     every advisory's ID, modified time and aliases
 *   /vulndb/ID/<id>.json[.gz]         one OSV entry
 *
 * govulncheck fetches the .json.gz forms; the .json forms are the upstream's bytes. Every file
 * comes from one complete snapshot, so a client never mixes two versions of the database within
 * one request. When the last refresh failed the snapshot is still served, marked stale (the same
 * header as a stale list). The access rules are those of any path that names no module
 * (`access.default`).
 */
import type { FastifyInstance } from 'fastify';
import { proxyError } from '../errors.ts';
import type { ServerOptions } from './serverOptions.ts';
import { STALE_HEADER } from './cacheHeaders.ts';

const LAYOUT = 'index/db.json, index/modules.json, index/vulns.json or ID/<GO-…>.json (each also as .json.gz)';

export function registerVulndbRoutes(app: FastifyInstance, options: ServerOptions): void {
  const { vulnDatabase: database } = options;

  app.get('/vulndb/*', async (request, reply) => {
    request.proxyLog.kind = 'vulndb';
    const path = request.url.split('?')[0]!.slice('/vulndb/'.length);
    if (!database) {
      throw proxyError('NOT_FOUND', 'this proxy does not mirror the Go vulnerability database (its vulndb setting is off)');
    }
    const snapshot = database.current();
    if (!snapshot) {
      const reason = database.lastFailure()?.reason;
      throw proxyError('VULNDB_NOT_READY', `the vulnerability database from ${database.url} is not mirrored yet${reason ? ` (last refresh: ${reason})` : '; try again shortly'}`);
    }
    const gzip = path.endsWith('.json.gz');
    const file = snapshot.file(gzip ? path.slice(0, -'.gz'.length) : path);
    if (!file) throw proxyError('NOT_FOUND', `not in the vulnerability database: /vulndb/${path.slice(0, 300)}; it holds ${LAYOUT}`);

    const stale = database.staleness();
    request.proxyLog.cache = stale ? 'stale' : 'hit';
    if (stale) {
      reply.header(STALE_HEADER, `since=${stale.since.toISOString()}; reason="${stale.reason.replace(/[^\x20-\x7e]/g, '?').replace(/"/g, "'").slice(0, 300)}"`);
    }
    const body = gzip ? file.gzip() : file.json;
    request.proxyLog.bytes = body.length;
    return reply
      .header('content-type', gzip ? 'application/gzip' : 'application/json')
      .header('cache-control', 'no-cache')
      .header('last-modified', new Date(snapshot.modified).toUTCString())
      .send(body);
  });
}
