/**
 * The checksum database, proxied (the "Proxying a Checksum Database" part of the GOPROXY protocol):
 *
 *   /sumdb/<name>/supported        answered here: 200 for the database this proxy serves (it holds a
 *                                  verified tree head, or the database answers), else 404 (the go
 *                                  command then asks its next proxy, or the database itself)
 *   /sumdb/<name>/latest           the signed tree head, verified, reused for a short while
 *   /sumdb/<name>/lookup/<M>@<V>   the record and tree head, verified, reused for a short while
 *   /sumdb/<name>/tile/…           tiles, built from verified hashes, immutable
 *
 * What `import` took from an offline bundle is in storage as if it had been fetched, so an offline
 * proxy serves it with no database reachable.
 *
 * Every answer was verified here first, so a client behind the proxy gets only what the proxy
 * itself accepts; the client verifies it again. A lookup of a private or nosumdb path is refused
 * with 403: it would tell the database the path.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { proxyError } from '../errors.ts';
import { isCanonicalVersion, unescapePath, unescapeVersion } from '../protocol/index.ts';
import type { DatabaseAnswer } from '../sumdb/index.ts';
import type { ServerOptions } from './serverOptions.ts';
import { IMMUTABLE, STALE_HEADER } from './cacheHeaders.ts';
import { decodeRequestPath } from './protocolRequest.ts';

export function registerSumdbRoutes(app: FastifyInstance, options: ServerOptions): void {
  const { checksumDatabase: database, checksums } = options;

  app.get('/sumdb/*', async (request, reply) => {
    const path = decodeRequestPath(request.url.split('?')[0]!).slice('sumdb/'.length);
    if (!database) {
      throw proxyError('NOT_FOUND', `this proxy does not serve a checksum database (its sumdb setting is off)`);
    }
    if (!path.startsWith(`${database.name}/`)) {
      throw proxyError('NOT_FOUND', `this proxy serves checksum database ${database.name} only, not ${JSON.stringify(path.split('/')[0])}`);
    }
    const rest = path.slice(database.name.length + 1);
    request.proxyLog.upstream = database.name;

    if (rest === 'supported') {
      request.proxyLog.kind = 'sumdb-supported';
      await database.supportedForClient();
      return sendDatabaseText(reply, { body: Buffer.from('supported\n') }, 'no-cache');
    }
    if (rest === 'latest') {
      request.proxyLog.kind = 'sumdb-latest';
      return sendDatabaseText(reply, await database.latestForClient(), 'no-cache');
    }
    if (rest.startsWith('lookup/')) {
      request.proxyLog.kind = 'sumdb-lookup';
      const { module, version } = parseLookupPath(rest.slice('lookup/'.length));
      request.proxyLog.module = module;
      request.proxyLog.version = version;
      if (!checksums.mayLookUp(module)) {
        throw proxyError(
          'FORBIDDEN',
          `${module} matches this proxy's private or nosumdb patterns, so it is never looked up in a checksum database; add it to GONOSUMDB (or GOPRIVATE) on the client`,
        );
      }
      return sendDatabaseText(reply, await database.lookupForClient(module, version), 'no-cache');
    }
    if (rest.startsWith('tile/')) {
      request.proxyLog.kind = 'sumdb-tile';
      const tile = await database.tileForClient(rest);
      reply.header('content-type', rest.includes('/data/') ? 'text/plain; charset=utf-8' : 'application/octet-stream');
      reply.header('cache-control', IMMUTABLE);
      request.proxyLog.bytes = tile.length;
      return reply.send(tile);
    }
    throw proxyError('NOT_FOUND', `not a checksum database path: expected /sumdb/${database.name}/supported, latest, lookup/<module>@<version> or tile/…`);
  });
}

function parseLookupPath(text: string): { module: string; version: string } {
  const at = text.indexOf('@');
  if (at <= 0) throw proxyError('BAD_REQUEST', `lookup path ${JSON.stringify(text)} is not <module>@<version>`);
  let module: string;
  let version: string;
  try {
    module = unescapePath(text.slice(0, at));
    version = unescapeVersion(text.slice(at + 1));
  } catch (err) {
    throw proxyError('BAD_REQUEST', (err as Error).message);
  }
  if (!isCanonicalVersion(version)) {
    throw proxyError('BAD_REQUEST', `lookup of ${module}@${version}: the checksum database holds canonical versions only (v1.2.3, v1.2.3-pre, pseudo-versions)`);
  }
  return { module, version };
}

function sendDatabaseText(reply: FastifyReply, answer: DatabaseAnswer, cacheControl: string): FastifyReply {
  const request = reply.request as FastifyRequest;
  request.proxyLog.cache = answer.stale ? 'stale' : 'hit';
  reply.header('content-type', 'text/plain; charset=utf-8').header('cache-control', cacheControl);
  if (answer.stale) {
    reply.header(STALE_HEADER, `reason="${answer.stale.reason.replace(/[^\x20-\x7e]/g, '?').replace(/"/g, "'").slice(0, 300)}"`);
  }
  request.proxyLog.bytes = answer.body.length;
  return reply.send(answer.body);
}
