// Progress off a terminal: a line at a steady interval with count, bytes, rate and the piece of
// work running longest, and a closing line; nothing after stop. The clock and the timers are fake.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createProgress, formatElapsed } from '../../../proxy/commands/progress.ts';

describe('progress off a terminal', () => {
  let clock = 0;
  let written: string[] = [];
  const stream = { isTTY: false, write: (text: string) => written.push(text) };
  beforeEach(() => {
    vi.useFakeTimers();
    clock = 1_000_000;
    written = [];
  });
  afterEach(() => vi.useRealTimers());
  const advance = (ms: number) => {
    clock += ms;
    vi.advanceTimersByTime(ms);
  };

  it('writes a line every interval with count, bytes, rate and what is slowest, then a summary', () => {
    const progress = createProgress('prefetch', { stream, everyMs: 10_000, now: () => clock });
    progress.total(4);
    const zip = progress.working('github.com/acme/big@v1.0.0 .zip');
    advance(2_000);
    const mod = progress.working('github.com/acme/small@v1.0.0 .mod');
    progress.bytes(1024);
    mod();
    progress.step();
    expect(written).toEqual([]);
    advance(8_000);
    expect(written).toEqual(['prefetch: 1/4 done, 1.0 KiB at 102 B/s, 10s; slowest under way: github.com/acme/big@v1.0.0 .zip (10s)\n']);

    progress.bytes(3 * 1024 * 1024);
    zip();
    progress.step();
    advance(10_000);
    // Nothing under way: no "slowest".
    expect(written[1]).toBe('prefetch: 2/4 done, 3.0 MiB at 153.7 KiB/s, 20s\n');

    progress.step();
    progress.step();
    progress.step(); // more steps than announced raise the total
    advance(65_000);
    progress.stop();
    expect(written.length).toBe(2 + 6 + 1);
    expect(written.at(-1)).toBe('prefetch: finished 5/5 in 1m25s, 3.0 MiB at 36.2 KiB/s\n');
    advance(60_000);
    progress.stop();
    expect(written.length).toBe(9);
  });

  it('writes nothing but the summary for a command shorter than the interval', () => {
    const progress = createProgress('import', { stream, everyMs: 10_000, now: () => clock });
    advance(500);
    progress.stop();
    expect(written).toEqual(['import: finished 0/0 in 500ms, 0 B at 0 B/s\n']);
  });

  it('reads elapsed time as a person would', () => {
    expect([0, 950, 42_000, 123_000, 3_900_000].map(formatElapsed)).toEqual(['0ms', '950ms', '42s', '2m03s', '1h05m']);
  });
});
