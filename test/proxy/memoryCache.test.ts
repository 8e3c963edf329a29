// The one in-memory cache (proxy/memoryCache.ts): least recently used first out, bounded by the
// bytes it accounts for across all its sections.
import { describe, expect, it } from 'vitest';
import { MemoryCache } from '../../proxy/memoryCache.ts';

const bytesOf = (value: Buffer) => value.length;

describe('MemoryCache', () => {
  it('forgets the least recently used entries once the byte limit is passed', () => {
    const cache = new MemoryCache(3000 + 3 * 3);
    const files = cache.section('f', bytesOf);
    files.set('a', Buffer.alloc(1000));
    files.set('b', Buffer.alloc(1000));
    files.set('c', Buffer.alloc(1000));
    expect(files.get('a')).toBeDefined(); // a is now the most recent
    files.set('d', Buffer.alloc(1000));
    expect(files.get('b')).toBeUndefined();
    expect(['a', 'c', 'd'].map((k) => files.get(k)?.length)).toEqual([1000, 1000, 1000]);
    expect(cache.bytes).toBeLessThanOrEqual(cache.maxBytes);
  });

  it('counts a key and its value, and a replaced value once', () => {
    const cache = new MemoryCache(1 << 20);
    const files = cache.section('s', bytesOf);
    files.set('key', Buffer.alloc(100));
    expect(cache.bytes).toBe(100 + Buffer.byteLength('s\0key'));
    files.set('key', Buffer.alloc(40));
    expect(cache.bytes).toBe(40 + Buffer.byteLength('s\0key'));
    expect(cache.size).toBe(1);
  });

  it('keeps sections apart under one shared limit', () => {
    const cache = new MemoryCache(2500);
    const one = cache.section('one', bytesOf);
    const two = cache.section('two', (text: string) => text.length);
    one.set('k', Buffer.alloc(1000));
    two.set('k', 'x'.repeat(1000));
    expect(one.get('k')?.length).toBe(1000);
    expect(two.get('k')).toBe('x'.repeat(1000));
    one.set('other', Buffer.alloc(1000));
    // The oldest entry of either section goes first: one's "k" was read, then two's "k".
    expect(one.get('k')).toBeUndefined();
    expect(cache.bytes).toBeLessThanOrEqual(2500);
  });

  it('never keeps an entry larger than its section allows or than the whole cache', () => {
    const cache = new MemoryCache(10_000);
    const small = cache.section('small', bytesOf, 100);
    small.set('big', Buffer.alloc(101));
    expect(small.get('big')).toBeUndefined();
    const any = cache.section('any', bytesOf);
    any.set('huge', Buffer.alloc(20_000));
    expect(any.get('huge')).toBeUndefined();
    expect(cache.bytes).toBe(0);
    // A value that grew past the section's limit replaces nothing stale.
    small.set('k', Buffer.alloc(10));
    small.set('k', Buffer.alloc(200));
    expect(small.get('k')).toBeUndefined();
    expect(cache.bytes).toBe(0);
  });

  it('keeps nothing with a limit of 0', () => {
    const cache = new MemoryCache(0);
    cache.section('s', bytesOf).set('k', Buffer.alloc(1));
    expect(cache.size).toBe(0);
  });
});
