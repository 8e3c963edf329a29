import { describe, expect, it } from 'vitest';
import { countAnswer, dayKey, emptyCounts, hourKey } from '../../../proxy/usage/usageCounts.ts';

const at = (iso: string) => Date.parse(iso);

describe('hourKey and dayKey', () => {
  // In this order on purpose: each key is kept until a time falls outside its period, so the table
  // steps to the period's last millisecond, over its edges, and back to an earlier period.
  const cases: Array<[string, string, string]> = [
    ['2026-12-05T05:00:00.000Z', '2026-12-05T05', '2026-12-05'],
    ['2026-12-05T05:59:59.999Z', '2026-12-05T05', '2026-12-05'],
    ['2026-12-05T06:00:00.000Z', '2026-12-05T06', '2026-12-05'],
    ['2026-12-05T23:59:59.999Z', '2026-12-05T23', '2026-12-05'],
    ['2026-12-06T00:00:00.000Z', '2026-12-06T00', '2026-12-06'],
    ['2026-12-05T05:30:00.000Z', '2026-12-05T05', '2026-12-05'],
    ['2024-02-29T12:00:00.000Z', '2024-02-29T12', '2024-02-29'],
    ['1969-12-31T23:30:00.000Z', '1969-12-31T23', '1969-12-31'],
    ['1970-01-01T00:30:00.000Z', '1970-01-01T00', '1970-01-01'],
    ['2026-12-05T05:00:00.001Z', '2026-12-05T05', '2026-12-05'],
  ];
  it.each(cases)('%s is hour %s of day %s', (time, hour, day) => {
    expect(hourKey(at(time))).toBe(hour);
    expect(dayKey(at(time))).toBe(day);
  });

  it('refuses a time that is not one, as Date does, and keeps answering after it', () => {
    expect(() => hourKey(Number.NaN)).toThrow(RangeError);
    expect(hourKey(at('2026-12-05T05:10:00.000Z'))).toBe('2026-12-05T05');
  });
});

describe('countAnswer', () => {
  it('counts downloads, hits and misses by hour and downloads by module and day', () => {
    const counts = emptyCounts();
    countAnswer(counts, at('2026-12-05T05:10:00Z'), { download: true, cache: 'hit', module: 'github.com/acme/base' });
    countAnswer(counts, at('2026-12-05T05:50:00Z'), { download: false, cache: 'miss', module: 'github.com/acme/base' });
    countAnswer(counts, at('2026-12-05T06:00:00Z'), { download: true, cache: 'miss', module: 'github.com/acme/base' });
    countAnswer(counts, at('2026-12-06T00:00:00Z'), { download: true, cache: null, module: 'github.com/acme/other' });
    expect(counts.hours).toEqual({ '2026-12-05T05': [1, 1, 1], '2026-12-05T06': [1, 0, 1], '2026-12-06T00': [1, 0, 0] });
    expect(counts.modules).toEqual({ '2026-12-05': { 'github.com/acme/base': 2 }, '2026-12-06': { 'github.com/acme/other': 1 } });
  });
});
