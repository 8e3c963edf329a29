// The failed-login limit: per address (an IPv6 client by its /64) and per minute, bounded in
// memory however many addresses fail, and a flood of new addresses does not free one held back.
import { describe, expect, it } from 'vitest';
import { counterKey, FailedLogins, MAX_ADDRESSES } from '../../../proxy/access/failedLogins.ts';

describe('FailedLogins', () => {
  it('holds an address back past the limit for the rest of its minute, and no other address', () => {
    let now = 0;
    const failed = new FailedLogins(3, () => now);
    for (let i = 0; i < 3; i++) {
      expect(failed.retryAfterMs('192.0.2.1')).toBe(0);
      failed.record('192.0.2.1');
    }
    now = 20_000;
    expect(failed.retryAfterMs('192.0.2.1')).toBe(40_000);
    expect(failed.retryAfterMs('192.0.2.2')).toBe(0);
    now = 60_000;
    expect(failed.retryAfterMs('192.0.2.1')).toBe(0);
  });

  it('counts an IPv6 client by its /64, whatever the spelling', () => {
    const failed = new FailedLogins(3, () => 0);
    failed.record('2001:db8:1:2::1');
    failed.record('2001:0db8:0001:0002:ffff:ffff:ffff:ffff');
    failed.record('2001:db8:1:2:0:0:0:abcd');
    expect(failed.retryAfterMs('2001:db8:1:2::99')).toBeGreaterThan(0);
    expect(failed.retryAfterMs('2001:db8:1:3::1')).toBe(0);
    expect(failed.size).toBe(1);
  });

  it.each([
    ['192.0.2.1', '192.0.2.1'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1:2:3:4', 'fe80:0:0:0::/64'],
    ['2001:db8:a:b:c:d:e:f', '2001:db8:a:b::/64'],
    ['::ffff:192.0.2.1', '0:0:0:0::/64'],
    ['2001:DB8:A::', '2001:db8:a:0::/64'],
  ])('%s is counted as %s', (address, key) => {
    expect(counterKey(address)).toBe(key);
  });

  it('stays within its bound however many addresses fail, and a flood does not free one held back', () => {
    let now = 0;
    const failed = new FailedLogins(3, () => now);
    for (let i = 0; i < 3; i++) failed.record('198.51.100.7');
    for (let i = 0; i < 5 * MAX_ADDRESSES; i++) {
      now += 1; // all within the minute
      failed.record(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
      if (i % 997 === 0) expect(failed.size).toBeLessThanOrEqual(MAX_ADDRESSES);
    }
    expect(failed.size).toBeLessThanOrEqual(MAX_ADDRESSES);
    expect(failed.retryAfterMs('198.51.100.7')).toBeGreaterThan(0);
  });

  it('forgets windows that ended before anything else when full', () => {
    let now = 0;
    const failed = new FailedLogins(3, () => now);
    for (let i = 0; i < MAX_ADDRESSES; i++) failed.record(`old-${i}`);
    now = 30_000;
    for (let i = 0; i < 3; i++) failed.record('held');
    now = 61_000;
    failed.record('new');
    // Every window that had ended is forgotten; the one held back is not.
    expect(failed.size).toBe(2);
    expect(failed.retryAfterMs('held')).toBe(29_000);
  });
});
