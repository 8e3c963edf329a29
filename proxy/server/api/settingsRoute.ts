/**
 * `/api/settings` (admin): the settings in effect, with every secret masked as "***" (tokens,
 * passwords, keys, and the password of a URL), and what a developer runs to use this proxy: the
 * `go env -w` lines and, with `auth`, the `.netrc` line.
 *
 * The advice follows the go command's rules: GOPROXY names this proxy; private paths go to
 * GONOSUMDB, not GOPRIVATE (GOPRIVATE would also set GONOPROXY, and the go command would then
 * bypass the proxy for the very modules it builds from git); a checksum database of our own is
 * named by its key, and with `sumdb: off` the clients cannot verify through the proxy either.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../../config.ts';
import type { ChecksumDatabase } from '../../sumdb/index.ts';
import { requireAdmin, type ApiAccess } from './apiAccess.ts';
import { sendJson } from './apiReply.ts';
import { readQuery } from './queryParameters.ts';

export type SettingsRouteOptions = { access: ApiAccess; config: Config; checksumDatabase: ChecksumDatabase | null };

/** Setting names whose values are secrets (or name where a secret is), wherever they occur. */
const SECRET_KEYS = new Set(['token', 'password', 'sha256', 'accessKeyId', 'secretAccessKey', 'sessionToken']);
const MASK = '***';
const DEFAULT_DATABASE = 'sum.golang.org';

export function registerSettingsRoute(api: FastifyInstance, options: SettingsRouteOptions): void {
  api.get('/api/settings', async (request, reply) => {
    readQuery(request, []);
    requireAdmin(options.access.caller(request, reply), '/api/settings');
    const { config } = options;
    const base = proxyBaseUrl(request);
    return sendJson(reply, 200, {
      settings: masked(config),
      goEnv: goEnvLines(config, options.checksumDatabase, base),
      netrc: config.auth ? `machine ${new URL(base).host} login <you> password <your password or token>` : null,
      notes: [
        ...(config.auth && !config.tls ? ['the go command sends .netrc credentials only over https: put a TLS-terminating proxy in front, or set tls'] : []),
        ...(config.private.length > 0 ? ['set GONOSUMDB rather than GOPRIVATE: GOPRIVATE would make the go command fetch those modules from git itself instead of through this proxy'] : []),
      ],
    });
  });
}

/** The URL the caller reached the proxy at. */
function proxyBaseUrl(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

function goEnvLines(config: Config, database: ChecksumDatabase | null, base: string): string[] {
  const lines = [`go env -w GOPROXY=${base}`];
  const exempt = [...config.private, ...config.nosumdb];
  if (exempt.length > 0) lines.push(`go env -w GONOSUMDB=${exempt.join(',')}`);
  if (!database) lines.push('go env -w GOSUMDB=off');
  else if (database.name !== DEFAULT_DATABASE) lines.push(`go env -w GOSUMDB=${database.verifierKey}`);
  return lines;
}

/** A copy of the settings with secrets replaced by "***". */
export function masked(value: unknown, key = ''): unknown {
  if (SECRET_KEYS.has(key) && value !== undefined && value !== null) return MASK;
  if (typeof value === 'string') return maskUrlPassword(value);
  if (Array.isArray(value)) return value.map((item) => masked(item));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([name, inner]) => [name, masked(inner, name)]));
  }
  return value;
}

/** `https://user:secret@host` → `https://user:***@host`, in a URL or a GOPROXY list. */
function maskUrlPassword(text: string): string {
  return text.replace(/([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/@?#:,|\s]*:)[^/@?#,|\s]*@/g, `$1${MASK}@`);
}
