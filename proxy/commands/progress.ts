/**
 * Progress of a long command (prefetch, cleanup, export, import), on stderr:
 * - on a terminal, a bar;
 * - off a terminal (CI logs, pipes), one line at a steady interval and one when the command
 *   ends, so that a log never goes silent for minutes:
 *
 *     prefetch: 120/500 done, 34.2 MiB at 1.1 MiB/s, 31s; slowest under way: github.com/x/y@v1.2.3 .zip (12s)
 *     prefetch: finished 500/500 in 2m03s, 120.4 MiB at 1.0 MiB/s
 *
 *   "slowest under way" is the piece of work that has been running longest; the bytes are what
 *   the command says it moved (prefetch: fetched from upstreams; import: read from the bundle).
 */
import { SingleBar, Presets } from 'cli-progress';
import { formatBytes } from './formatBytes.ts';

export type Progress = {
  /** Sets the number of steps (it may grow while work is found). */
  total(n: number): void;
  /** One step done; `label` names it. */
  step(label?: string): void;
  /** Bytes moved. */
  bytes(n: number): void;
  /** Work on `label` begins; the function returned says it ended. */
  working(label: string): () => void;
  stop(): void;
};

export type ProgressOptions = {
  stream?: NodeJS.WriteStream | { isTTY?: boolean; write(text: string): unknown };
  /** Off a terminal: how often a line is written (default 10 s). */
  everyMs?: number;
  now?: () => number;
};

export const DEFAULT_PROGRESS_EVERY_MS = 10_000;

export function createProgress(what: string, options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  if (stream.isTTY) return terminalBar(what, stream as NodeJS.WriteStream);
  return steadyLines(what, stream, options.everyMs ?? DEFAULT_PROGRESS_EVERY_MS, options.now ?? Date.now);
}

function terminalBar(what: string, stream: NodeJS.WriteStream): Progress {
  const bar = new SingleBar(
    { format: `${what} [{bar}] {value}/{total} {label}`, stream, hideCursor: true, clearOnComplete: false, etaBuffer: 50 },
    Presets.shades_classic,
  );
  bar.start(0, 0, { label: '' });
  return {
    total: (n) => bar.setTotal(n),
    step: (label = '') => bar.increment(1, { label: label.length > 60 ? `…${label.slice(-59)}` : label }),
    bytes() {},
    working: () => () => {},
    stop: () => bar.stop(),
  };
}

function steadyLines(what: string, stream: { write(text: string): unknown }, everyMs: number, now: () => number): Progress {
  const started = now();
  let total = 0;
  let done = 0;
  let moved = 0;
  let stopped = false;
  // Insertion order is start order: the first entry is the one running longest.
  const underWay = new Map<number, { label: string; since: number }>();
  let nextId = 0;

  const figures = () => {
    const elapsed = now() - started;
    const rate = elapsed > 0 ? (moved * 1000) / elapsed : 0;
    return { elapsed, text: `${formatBytes(moved)} at ${formatBytes(Math.round(rate))}/s` };
  };
  const line = () => {
    const { elapsed, text } = figures();
    const oldest = underWay.values().next().value;
    const slow = oldest ? `; slowest under way: ${oldest.label} (${formatElapsed(now() - oldest.since)})` : '';
    return `${what}: ${done}/${total} done, ${text}, ${formatElapsed(elapsed)}${slow}\n`;
  };
  const timer = setInterval(() => stream.write(line()), everyMs);
  timer.unref();

  return {
    total: (n) => (total = n),
    step: () => {
      done += 1;
      if (done > total) total = done;
    },
    bytes: (n) => (moved += n),
    working(label) {
      const id = nextId++;
      underWay.set(id, { label, since: now() });
      return () => underWay.delete(id);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      const { elapsed, text } = figures();
      stream.write(`${what}: finished ${done}/${total} in ${formatElapsed(elapsed)}, ${text}\n`);
    },
  };
}

/** 950ms, 42s, 2m03s, 1h05m: what a person reads in a log. */
export function formatElapsed(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}
