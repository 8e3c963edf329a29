/**
 * How git may reach a repository: credentials and trust from the host map,
 * read when they are used (a rotated token file is picked up) and handed to
 * git in its environment only — never in a URL, an argument, a log line or
 * an error text.
 *
 * Credentials are bound to the origin (scheme, host, port) of the `url` they
 * were configured with. git gets them through a credential helper that git
 * asks only for that origin, never through a header: git sends
 * http.extraHeader to every URL it talks to, also after a redirect to
 * another origin, while it asks a credential helper again for each origin it
 * is sent to, and curl does not carry a password across origins.
 */
import { proxyError } from '../../errors.ts';
import { readSecret } from '../../secrets.ts';
import type { GitHost } from './locate.ts';

export type GitAccess = {
  config: Record<string, string>;
  /** Variables added to git's environment (the credential helper reads the token from here). */
  env: Record<string, string>;
  sshCommand?: string;
  /** Values to scrub from anything git prints. */
  secrets: string[];
};

/** Reads "env:NAME" or "file:/path"; a missing secret fails the git request that needs it. */
export function readGitHostSecret(reference: string, what: string): string {
  try {
    return readSecret(reference, what);
  } catch (err) {
    throw proxyError('UPSTREAM_FAILED', (err as Error).message);
  }
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

const DEFAULT_PORTS: Record<string, string> = { 'https:': '443', 'http:': '80', 'ssh:': '22' };

/** scheme://host:port of a URL, with the scheme's default port made explicit; no user, no path. */
export function originOf(url: string | URL): string {
  const parsed = typeof url === 'string' ? new URL(url) : url;
  const port = parsed.port || DEFAULT_PORTS[parsed.protocol] || '';
  return `${parsed.protocol}//${parsed.hostname}${port ? `:${port}` : ''}`;
}

/** git's own spelling of an origin for credential.<url>.* (default ports left out, as git matches them). */
function credentialUrl(url: URL): string {
  return `${url.protocol}//${url.host}`;
}

/**
 * A credential helper that answers git's "get" with the user and token from its environment, and
 * ignores "store" and "erase". It holds no secret itself, so it may be seen in a process list.
 */
const CREDENTIAL_HELPER =
  '!f() { test "$1" = get || exit 0; printf \'username=%s\\npassword=%s\\n\' "$GOMODPROXY_GIT_USERNAME" "$GOMODPROXY_GIT_PASSWORD"; }; f';

/**
 * What git needs to fetch `fetchUrl`. `withCredentials` is false for public modules: a host's
 * token is only ever used for modules that match `private`. A token is given only for the origin
 * of the host's own `url`.
 */
export function gitAccess(hostName: string, host: GitHost | undefined, fetchUrl: string, withCredentials: boolean): GitAccess {
  const access: GitAccess = { config: {}, env: {}, secrets: [] };
  if (!host) return access;
  const hostUrl = new URL(host.url);
  if (withCredentials && host.token && hostUrl.protocol.startsWith('http') && originOf(fetchUrl) === originOf(hostUrl)) {
    const token = readGitHostSecret(host.token, `git host ${hostName} token`);
    access.config[`credential.${credentialUrl(hostUrl)}.helper`] = CREDENTIAL_HELPER;
    access.env['GOMODPROXY_GIT_USERNAME'] = host.username ?? 'git';
    access.env['GOMODPROXY_GIT_PASSWORD'] = token;
    access.secrets.push(token, Buffer.from(`${host.username ?? 'git'}:${token}`).toString('base64'));
  }
  if (host.caFile) access.config['http.sslCAInfo'] = host.caFile;
  const ssh = ['ssh', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes'];
  if (withCredentials && host.sshKeyFile) ssh.push('-o', 'IdentitiesOnly=yes', '-i', shellQuote(host.sshKeyFile));
  if (host.knownHostsFile) ssh.push('-o', `UserKnownHostsFile=${shellQuote(host.knownHostsFile)}`);
  if (ssh.length > 5) access.sshCommand = ssh.join(' ');
  return access;
}

/** Removes every secret from a text git printed. */
export function scrub(text: string, secrets: string[]): string {
  return secrets.reduce((out, secret) => (secret ? out.split(secret).join('***') : out), text);
}
