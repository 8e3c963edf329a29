/**
 * The proxy's one in-memory cache: least-recently-used, bounded by bytes (the `memoryCacheBytes`
 * setting), shared by everything that keeps answers in memory. Each user takes a section of it
 * (its own keys and value type, and how to count a value's bytes); all sections share one limit,
 * so the process holds at most that many bytes of cached content however large the answers are.
 *
 * What is cached is either immutable (stored .info/.mod, zip hashes, verified tiles) or carries
 * the time it was fetched so that its user can judge its age (list answers, lookups): nothing
 * here needs invalidating, only forgetting.
 */
type Entry = { value: unknown; bytes: number };

export class MemoryCache {
  /** A Map iterates in insertion order: re-inserting on use keeps the least recent first. */
  private readonly entries = new Map<string, Entry>();
  private accounted = 0;
  readonly maxBytes: number;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  /** A view of the cache with its own keys; an entry over maxEntryBytes is never kept. */
  section<V>(name: string, sizeOf: (value: V) => number, maxEntryBytes = Number.POSITIVE_INFINITY): CacheSection<V> {
    return new CacheSection<V>(this, `${name}\0`, sizeOf, maxEntryBytes);
  }

  /** The bytes the cache holds now, as counted: every entry's value and key. */
  get bytes(): number {
    return this.accounted;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): unknown {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: unknown, valueBytes: number): void {
    this.delete(key);
    const bytes = valueBytes + Buffer.byteLength(key);
    if (bytes > this.maxBytes) return;
    this.entries.set(key, { value, bytes });
    this.accounted += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.accounted <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.accounted -= entry.bytes;
    }
  }

  delete(key: string): void {
    const previous = this.entries.get(key);
    if (!previous) return;
    this.entries.delete(key);
    this.accounted -= previous.bytes;
  }
}

export class CacheSection<V> {
  private readonly cache: MemoryCache;
  private readonly prefix: string;
  private readonly sizeOf: (value: V) => number;
  private readonly maxEntryBytes: number;

  constructor(cache: MemoryCache, prefix: string, sizeOf: (value: V) => number, maxEntryBytes: number) {
    this.cache = cache;
    this.prefix = prefix;
    this.sizeOf = sizeOf;
    this.maxEntryBytes = maxEntryBytes;
  }

  get(key: string): V | undefined {
    return this.cache.get(this.prefix + key) as V | undefined;
  }

  /** Keeps value (replacing any under key), forgetting the least recently used entries beyond the limit. */
  set(key: string, value: V): void {
    const bytes = this.sizeOf(value);
    if (bytes > this.maxEntryBytes) {
      this.cache.delete(this.prefix + key);
      return;
    }
    this.cache.set(this.prefix + key, value, bytes);
  }
}
