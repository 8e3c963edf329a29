/**
 * GOPROXY lists, read the way the go command reads them (cmd/go/internal/modfetch/proxy.go and
 * the Go reference, "GOPROXY protocol").
 *
 * A list is entries separated by ',' or '|'. After an entry followed by ',', the next entry is
 * tried only when this one answers "not found" (HTTP 404 or 410); after '|', it is tried after any
 * error. An entry is:
 *
 * - "off": nothing may be fetched; the list ends here;
 * - "direct": fetch from version control; the list ends here (the go command ignores what
 *   follows, keeping those entries free for future use);
 * - a URL with the scheme http, https or file. A file:// URL names a directory and has nothing
 *   but a path. An entry without a scheme that contains '.', ':' or '/' (and is not an absolute
 *   file path) is taken as https: "proxy.example.com" means "https://proxy.example.com".
 *
 * White space around entries is ignored and empty entries are skipped; a list with no entry at
 * all is an error. Unlike the go command, this parser also rejects "" (to the go command an empty
 * GOPROXY means the default, https://proxy.golang.org,direct: a default is the caller's business),
 * and URLs with a query or a fragment, which the proxy would not carry over to its requests.
 */

import { goQuote } from './errors.ts';

export type ProxyEntry =
  | { kind: 'url'; url: string; fallBackOnAnyError: boolean }
  | { kind: 'direct'; fallBackOnAnyError: boolean }
  | { kind: 'off'; fallBackOnAnyError: boolean };

const allowed = 'allowed: http://, https:// or file:// URLs, "direct" and "off", separated by "," or "|"';

/** The text with the password of any URL in it replaced by "xxxxx" (as Go's URL.Redacted). */
function redact(text: string): string {
  return text.replace(/([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/@?#:,|]*:)[^/@?#,|]*@/g, '$1xxxxx@');
}

function fail(list: string, what: string, reason: string): never {
  throw new Error(`invalid GOPROXY list ${goQuote(redact(list))}: entry ${what} ${reason}; ${allowed}`);
}

/** How an error names an entry: as written, and as read when an https:// was implied. */
function describeEntry(written: string, read: string): string {
  const quoted = goQuote(redact(written));
  return read === written ? quoted : `${quoted} (read as ${goQuote(redact(read))})`;
}

/** Validates one URL entry (already given its implied https://) and returns it normalised. */
function checkProxyUrl(list: string, written: string, entry: string): string {
  const what = describeEntry(written, entry);
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(entry)?.[1]?.toLowerCase();
  if (scheme === undefined) return fail(list, what, 'has no scheme');
  if (scheme !== 'http' && scheme !== 'https' && scheme !== 'file') {
    return fail(list, what, `has the scheme ${goQuote(scheme)}`);
  }
  let parsed: URL;
  try {
    parsed = new URL(entry);
  } catch {
    return fail(list, what, 'is not a valid URL');
  }
  if (parsed.search !== '' || entry.includes('?')) return fail(list, what, 'has a query');
  if (parsed.hash !== '' || entry.includes('#')) return fail(list, what, 'has a fragment');
  const rest = entry.slice(scheme.length); // the scheme is written in lower case below
  if (scheme === 'file') {
    // Only a path: "file:///dir"; not "file://host/dir" (not even "localhost"), nor "file:/dir".
    if (!rest.startsWith(':///')) {
      return fail(list, what, 'is not a file:// URL of an absolute path (write file:///absolute/path)');
    }
    return 'file://' + (rest.slice('://'.length).replace(/\/+$/, '') || '/');
  }
  if (!rest.startsWith('://') || parsed.hostname === '') return fail(list, what, 'has no host');
  return scheme + rest.replace(/\/+$/, '');
}

/**
 * The entries of a GOPROXY list, in order. fallBackOnAnyError tells what the separator after an
 * entry says: true for '|' (try the next entry after any error), false for ',' (only after "not
 * found") or when no separator follows; "off" and "direct" end the list and say false. Throws
 * an Error naming the list, the bad entry and what is allowed when an entry is malformed or the
 * list names no entry.
 */
export function parseProxyList(list: string): ProxyEntry[] {
  if (list.trim() === '') {
    throw new Error(`invalid GOPROXY list ${goQuote(list)}: it is empty; ${allowed}`);
  }
  const entries: ProxyEntry[] = [];
  const parts = list.split(/([,|])/);
  for (let i = 0; i < parts.length; i += 2) {
    const entry = (parts[i] ?? '').trim();
    const fallBackOnAnyError = parts[i + 1] === '|';
    if (entry === '') continue;
    if (entry === 'off' || entry === 'direct') {
      entries.push({ kind: entry, fallBackOnAnyError: false });
      break; // both end the list
    }
    // A single word is reserved for keywords; a URL or absolute path keeps its form; anything
    // else (a host name, host:port, host/path) is an https URL.
    let url = entry;
    if (/[.:/]/.test(entry) && !entry.includes(':/') && !entry.startsWith('/')) url = 'https://' + entry;
    entries.push({ kind: 'url', url: checkProxyUrl(list, entry, url), fallBackOnAnyError });
  }
  if (entries.length === 0) {
    throw new Error(`invalid GOPROXY list ${goQuote(list)}: it names no entry; ${allowed}`);
  }
  return entries;
}

/** Writes entries back as a GOPROXY list: the inverse of {@link parseProxyList}. */
export function formatProxyList(entries: readonly ProxyEntry[]): string {
  return entries
    .map((entry, i) => {
      const name = entry.kind === 'url' ? entry.url : entry.kind;
      if (i === entries.length - 1) return name;
      return name + (entry.fallBackOnAnyError ? '|' : ',');
    })
    .join('');
}
