/**
 * Pages of a sorted list: `?limit=` (default 50, at most 500) and `?cursor=` (opaque: the sort key
 * of the last item of the previous page, so a page never repeats or skips an item when modules
 * are added or removed between requests). Every list answer is `{ items, next, total }`.
 */
import { badRequest } from './apiReply.ts';

export type Page<T> = { items: T[]; next: string | null; total: number };

/** A cursor names the position after an item of a list sorted by `compare`. */
export function pageOf<T, K>(
  sorted: readonly T[],
  options: { limit: number; cursor: string | undefined; keyOf: (item: T) => K; isKey: (value: unknown) => value is K; compare: (a: K, b: K) => number },
): Page<T> {
  let start = 0;
  if (options.cursor) {
    const after = decodeCursor(options.cursor, options.isKey);
    let low = 0;
    let high = sorted.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (options.compare(options.keyOf(sorted[mid]!), after) <= 0) low = mid + 1;
      else high = mid;
    }
    start = low;
  }
  const items = sorted.slice(start, start + options.limit);
  const more = start + options.limit < sorted.length;
  return { items, next: more ? encodeCursor(options.keyOf(items.at(-1)!)) : null, total: sorted.length };
}

function encodeCursor(key: unknown): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

function decodeCursor<K>(cursor: string, isKey: (value: unknown) => value is K): K {
  try {
    if (!/^[A-Za-z0-9_-]{1,12000}$/.test(cursor)) throw new Error('not base64url');
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (!isKey(key)) throw new Error('not a key');
    return key;
  } catch {
    throw badRequest('cursor is not one this API gave; pass the "next" value of the previous page unchanged, or leave cursor out for the first page');
  }
}
