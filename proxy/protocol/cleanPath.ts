/**
 * Go's path.Clean: the shortest equivalent of a slash-separated path, with
 * "." and ".." resolved, no repeated or trailing slash, and "." for "".
 * The zip rules call a file path "unclean" when it differs from this.
 */
export function cleanPath(path: string): string {
  const rooted = path.startsWith('/');
  const out: string[] = [];
  for (const elem of path.split('/')) {
    if (elem === '' || elem === '.') continue;
    if (elem === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(elem);
  }
  const joined = out.join('/');
  if (rooted) return `/${joined}`;
  return joined === '' ? '.' : joined;
}
