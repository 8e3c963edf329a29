/**
 * The go command's "?go-get=1" discovery, for hosts whose repository layout
 * cannot be told from the path: GET https://<module path>?go-get=1 and read
 * the <meta name="go-import" content="<prefix> git <repository URL>"> whose
 * prefix holds the module path (at a path-element boundary).
 */
import { request } from 'undici';
import { proxyError } from '../../errors.ts';

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

/** Asks `pageBase`/<path after the host>?go-get=1 where the module's repository is. */
export async function discoverRepository(modulePath: string, pageBase: string, timeoutMs: number): Promise<GoImport> {
  const rest = modulePath.split('/').slice(1).join('/');
  const url = `${pageBase.replace(/\/+$/, '')}/${rest}?go-get=1`;
  let html: string;
  try {
    // Redirects are not followed: the page must answer for itself.
    const response = await request(url, { headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    html = (await response.body.text()).slice(0, 1 << 20);
    if (response.statusCode >= 500) throw new Error(`answered ${response.statusCode}`);
  } catch (err) {
    throw proxyError('UPSTREAM_FAILED', `${modulePath}: ?go-get=1 discovery failed: ${(err as Error).message}`);
  }
  const matches = parseGoImports(html).filter((m) => modulePath === m.prefix || modulePath.startsWith(`${m.prefix}/`));
  if (matches.length === 0) throw proxyError('NOT_FOUND', `${modulePath}: no go-import meta tag for it at its ?go-get=1 page`);
  const longest = matches.sort((a, b) => b.prefix.length - a.prefix.length)[0]!;
  if (longest.vcs !== 'git') {
    throw proxyError('NOT_FOUND', `${modulePath}: its go-import meta tag names ${JSON.stringify(longest.vcs)}; only git repositories are supported`);
  }
  return longest;
}
