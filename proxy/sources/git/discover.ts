/**
 * The go command's "?go-get=1" discovery, for hosts whose repository layout
 * cannot be told from the path: GET https://<module path>?go-get=1 and read
 * the <meta name="go-import" content="<prefix> git <repository URL>"> whose
 * prefix holds the module path (at a path-element boundary).
 */
import type { Dispatcher } from 'undici';
import { proxyError } from '../../errors.ts';
import { loadHttpClient } from '../../httpClient.ts';

export type GoImport = { prefix: string; vcs: string; repoUrl: string };

const META = /<meta\s+[^>]*name\s*=\s*["']go-import["'][^>]*>/gi;
const CONTENT = /content\s*=\s*["']([^"']*)["']/i;

/** The go-import meta tags of a page. */
export function parseGoImports(html: string): GoImport[] {
  const found: GoImport[] = [];
  for (const tag of html.match(META) ?? []) {
    const content = CONTENT.exec(tag)?.[1]?.trim().split(/\s+/);
    if (content?.length === 3) found.push({ prefix: content[0]!, vcs: content[1]!, repoUrl: content[2]! });
  }
  return found;
}

/** The ?go-get=1 page of a module at `pageBase` (the host's URL). */
export function discoveryPageUrl(modulePath: string, pageBase: string): string {
  const rest = modulePath.split('/').slice(1).join('/');
  return `${pageBase.replace(/\/+$/, '')}/${rest}?go-get=1`;
}

/**
 * Asks `pageBase`/<path after the host>?go-get=1 where the module's repository is. A failure is
 * answered in our words; the network's own (which may name internal addresses) is the cause, for
 * the log.
 */
export async function discoverRepository(modulePath: string, pageBase: string, timeoutMs: number, dispatcher?: Dispatcher): Promise<GoImport> {
  const url = discoveryPageUrl(modulePath, pageBase);
  let html: string;
  try {
    // Redirects are not followed: the page must answer for itself.
    const { request } = await loadHttpClient();
    const response = await request(url, { headersTimeout: timeoutMs, bodyTimeout: timeoutMs, ...(dispatcher && { dispatcher }) });
    html = (await response.body.text()).slice(0, 1 << 20);
    if (response.statusCode >= 500) throw new Error(`answered ${response.statusCode}`);
  } catch (err) {
    const answered = /^answered \d+$/.test((err as Error).message) ? `: its page ${(err as Error).message}` : ': the page cannot be reached';
    throw proxyError('UPSTREAM_FAILED', `${modulePath}: ?go-get=1 discovery failed${answered}`, err);
  }
  const matches = parseGoImports(html).filter((m) => modulePath === m.prefix || modulePath.startsWith(`${m.prefix}/`));
  if (matches.length === 0) throw proxyError('NOT_FOUND', `${modulePath}: no go-import meta tag for it at its ?go-get=1 page`);
  const longest = matches.sort((a, b) => b.prefix.length - a.prefix.length)[0]!;
  if (longest.vcs !== 'git') {
    throw proxyError('NOT_FOUND', `${modulePath}: its go-import meta tag names ${JSON.stringify(longest.vcs)}; only git repositories are supported`);
  }
  return longest;
}
