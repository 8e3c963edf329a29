/**
 * Who is asking, and may they: runs before every route. Attaches the identity to the request,
 * then decides by the module the path names:
 *
 *   /healthz, /readyz,             always open (probes carry no credentials; the operator reads
 *   /vulndb/status                 the database's last refresh without any)
 *   /metrics                       `auth.metrics`, else `access.default`
 *   /<module>/@v/…, /<module>/@latest, /sumdb/<db>/lookup/<module>@<version>
 *                                  the access rule of <module>
 *   /api/…                         sign-in only: the API shows each caller the modules they
 *                                  may read and checks `auth.admin` itself (server/api/)
 *   anything else                  `access.default`
 *
 * Answers: credentials that are malformed or wrong → 401; no credentials where they are needed
 * → 401 with `WWW-Authenticate: Basic`, so the go command retries with .netrc or GOAUTH; a
 * signed-in identity without access → 403, so the go command stops instead of falling through
 * to the next proxy. A denied path gets the same answer whether the module exists or not, and
 * the request never reaches storage, git or an upstream.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ANONYMOUS, allows, type AccessControl, type Identity } from '../access/index.ts';
import type { ClientAddressOf } from '../access/clientAddress.ts';
import { unescapePath } from '../protocol/index.ts';
import { decodeRequestPath, parseProtocolPath } from './protocolRequest.ts';
import { sendText } from './sendText.ts';
import { VULNDB_STATUS_PATH } from './vulndbStatusRoute.ts';
import { isApiPath, sendJsonError } from './api/apiReply.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who sent the request (anonymous until the access check ran). */
    identity: Identity;
  }
}

const OPEN_PATHS = new Set(['/healthz', '/readyz', VULNDB_STATUS_PATH]);

export const SIGN_IN_HINT = 'sign in with Basic credentials: a .netrc line "machine <host:port> login <user> password <password or token>" (NETRC), GOAUTH, or the GOPROXY URL; the go command sends them only over https';

/** Failed sign-ins are counted per client address: the one `trustedProxies` name, else the peer. */
export function registerAccessCheck(app: FastifyInstance, access: AccessControl, clientAddressOf: ClientAddressOf): void {
  // Set per request below (a shared object may not be the decorator's initial value).
  app.decorateRequest('identity', null as unknown as Identity);
  const challenge = `Basic realm="${access.realm}", charset="UTF-8"`;

  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0]!;
    request.identity = ANONYMOUS;
    if (OPEN_PATHS.has(path)) return;

    if (access.identities) {
      const address = clientAddressOf(request.socket.remoteAddress, request.headers['x-forwarded-for']);
      const signIn = await access.identities.signIn(request.headers.authorization, address);
      if (signIn.outcome === 'rate-limited') {
        reply.header('retry-after', String(signIn.retryAfterSeconds));
        return deny(request, reply, 429, `too many failed sign-ins from ${address}; try again in ${signIn.retryAfterSeconds}s`);
      }
      if (signIn.outcome !== 'identified') {
        reply.header('www-authenticate', challenge);
        return deny(request, reply, 401, `authentication failed: ${signIn.reason}; ${SIGN_IN_HINT}`);
      }
      request.identity = signIn.identity;
      if (signIn.identity.name !== null) request.proxyLog.user = signIn.identity.name;
    }
    if (isApiPath(path)) return;

    const module = path === '/metrics' ? null : moduleNamedBy(path);
    const allowList = path === '/metrics' ? access.metricsAllow : module === null ? access.rules.defaultAllow : access.rules.allowListFor(module);
    if (allows(allowList, request.identity)) return;
    const what = module ?? path;
    describeDenied(request, path, module);
    if (request.identity.name === null) {
      reply.header('www-authenticate', challenge);
      return deny(request, reply, 401, `authentication required to read ${what}: ${SIGN_IN_HINT}`);
    }
    return deny(request, reply, 403, `access denied: ${request.identity.name} may not read ${what}`);
  });
}

/** The module (and version, file) a refused request named, for its log line and audit entry. */
function describeDenied(request: FastifyRequest, path: string, module: string | null): void {
  if (module === null) return;
  request.proxyLog.module = module;
  try {
    const target = parseProtocolPath(decodeRequestPath(path));
    if ('version' in target) request.proxyLog.version = target.version;
  } catch {
    // a checksum database lookup, or a path the route answers 400 for: the module is enough
  }
}

function deny(request: FastifyRequest, reply: FastifyReply, status: number, message: string): FastifyReply {
  request.proxyLog.error = message;
  return isApiPath(request.url) ? sendJsonError(reply, status, message) : sendText(reply, status, message);
}

/**
 * The module a request path is about, or null when it names none. Only the module part is
 * read: a request for a bad version of a module is still decided by that module's rule, so
 * the answer does not depend on what exists. A path that cannot be decoded names no module
 * (the route answers 400 for it, which tells nothing either).
 */
export function moduleNamedBy(path: string): string | null {
  try {
    const decoded = decodeRequestPath(path);
    if (decoded.startsWith('sumdb/')) {
      const lookup = /^sumdb\/[^/]+\/lookup\/(.+)@[^@/]*$/.exec(decoded);
      return lookup ? unescapePath(lookup[1]!) : null;
    }
    const end = decoded.endsWith('/@latest') ? decoded.length - '/@latest'.length : decoded.lastIndexOf('/@v/');
    return end > 0 ? unescapePath(decoded.slice(0, end)) : null;
  } catch {
    return null;
  }
}
