/**
 * Where a module lives: which repository, and which folder in it. The rules
 * are the go command's for the hosts it knows by path, and the settings' host
 * map for the rest:
 *
 * - the repository root is host/owner/repo (github.com, gitlab.com,
 *   bitbucket.org and hosts in the host map), or the path up to an element
 *   ending in ".git" (example.com/group/repo.git/sub);
 * - the rest of the module path, without a /vN major suffix, is the module's
 *   folder in the repository ("codeDir"), and also the prefix of its tags
 *   ("sub/v1.2.3");
 * - a /vN module is found in codeDir/vN when that folder's go.mod says so,
 *   else in codeDir itself (see findModuleRoot in versions.ts).
 */
import { proxyError } from '../../errors.ts';
import { splitPathVersion } from '../../protocol/index.ts';

export type GitHost = {
  /** Base URL the host's repositories are under, e.g. https://git.corp.example or ssh://git.corp.example. */
  url: string;
  /** User name for the token over http(s) (default "git"). */
  username?: string | undefined;
  /** "env:NAME" or "file:/path": a token or password for http(s). */
  token?: string | undefined;
  sshKeyFile?: string | undefined;
  knownHostsFile?: string | undefined;
  caFile?: string | undefined;
  /** Find repositories by the go command's ?go-get=1 pages (at `url`, else https://<host>). */
  discover?: boolean | undefined;
  /** Origins other than `url`'s that the ?go-get=1 pages may name for repositories (fetched without this host's credentials). */
  discoverOrigins?: string[] | undefined;
};

export type ModuleLocation = {
  modulePath: string;
  /** The repository's module path prefix, e.g. github.com/acme/mono. */
  repoRoot: string;
  /** The URL git fetches. */
  fetchUrl: string;
  /** The URL shown in .info Origin and logs: https://<repoRoot>, never with credentials. */
  displayUrl: string;
  /** The module's folder in the repository ("" at the root), without the major suffix. */
  codeDir: string;
  /** "/v2" and so on, or "" for v0/v1. */
  pathMajor: string;
  /** The settings' entry whose `url` fetchUrl was made from, if there is one, and its name. */
  host?: GitHost;
  hostName?: string;
};

const KNOWN_HOSTS = new Set(['github.com', 'gitlab.com', 'bitbucket.org']);

/**
 * The location of a module whose repository root and URL were found by ?go-get=1 discovery.
 * A repository URL on a host of the host map is fetched from that entry's URL instead (and
 * that entry, not the module's, is the one whose credentials may go with it).
 */
export function locateDiscovered(modulePath: string, repoRoot: string, repoUrl: string, hosts: Record<string, GitHost>): ModuleLocation {
  const split = splitPathVersion(modulePath);
  const prefix = split?.prefix ?? modulePath;
  const pathMajor = split?.pathMajor ?? '';
  const url = new URL(repoUrl);
  const mappedName = url.hostname;
  const mapped = hosts[mappedName];
  const fetchUrl = mapped ? `${mapped.url.replace(/\/+$/, '')}${url.pathname}` : repoUrl;
  url.username = '';
  url.password = '';
  return {
    modulePath,
    repoRoot,
    fetchUrl,
    displayUrl: url.href.replace(/\/+$/, ''),
    codeDir: prefix === repoRoot ? '' : prefix.slice(repoRoot.length + 1),
    pathMajor: pathMajor.startsWith('.') ? '' : pathMajor,
    ...(mapped && { host: mapped, hostName: mappedName }),
  };
}

/**
 * Whether the path rules alone tell a module's repository: a host the go command knows by path, a
 * host of the host map, or a path element ending in ".git". Otherwise only the module's ?go-get=1
 * page can (golang.org/x/…, k8s.io/…, gopkg.in/…).
 */
export function locatedByPath(modulePath: string, hosts: Record<string, GitHost>): boolean {
  const host = modulePath.split('/')[0]!;
  return KNOWN_HOSTS.has(host) || hosts[host] !== undefined || /\/[^/]+\.git(\/|$)/.test(modulePath);
}

export function locateModule(modulePath: string, hosts: Record<string, GitHost>): ModuleLocation {
  const split = splitPathVersion(modulePath);
  const prefix = split?.prefix ?? modulePath;
  const pathMajor = split?.pathMajor ?? '';
  const elements = prefix.split('/');
  const host = elements[0]!;
  const gitElement = elements.findIndex((e, i) => i > 0 && e.endsWith('.git'));
  let rootLength: number;
  if (gitElement > 0) rootLength = gitElement + 1;
  else if (KNOWN_HOSTS.has(host) || hosts[host]) rootLength = 3;
  else {
    throw proxyError(
      'NOT_FOUND',
      `${modulePath}: cannot tell which git repository holds it: add its host ${host} to the git host map in the settings`,
    );
  }
  if (elements.length < rootLength) {
    throw proxyError('NOT_FOUND', `${modulePath}: a module on ${host} needs a path of the form ${host}/owner/repository`);
  }
  const repoRoot = elements.slice(0, rootLength).join('/');
  const codeDir = elements.slice(rootLength).join('/');
  const repoPath = elements.slice(1, rootLength).join('/');
  const base = hosts[host]?.url.replace(/\/+$/, '') ?? `https://${host}`;
  return {
    modulePath,
    repoRoot,
    fetchUrl: `${base}/${repoPath}`,
    displayUrl: `https://${repoRoot}`,
    codeDir,
    pathMajor: pathMajor.startsWith('.') ? '' : pathMajor,
    ...(hosts[host] && { host: hosts[host], hostName: host }),
  };
}
