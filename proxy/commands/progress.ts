/**
 * Progress of a long command (prefetch, cleanup, export, import): a bar on stderr when it is a
 * terminal, nothing otherwise (logs and pipes get the summary only).
 */
import { SingleBar, Presets } from 'cli-progress';

export type Progress = {
  /** Sets the number of steps (it may grow while work is found). */
  total(n: number): void;
  /** One step done; `label` names it. */
  step(label?: string): void;
  stop(): void;
};

export function createProgress(what: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { total() {}, step() {}, stop() {} };
  const bar = new SingleBar(
    { format: `${what} [{bar}] {value}/{total} {label}`, stream, hideCursor: true, clearOnComplete: false, etaBuffer: 50 },
    Presets.shades_classic,
  );
  bar.start(0, 0, { label: '' });
  return {
    total: (n) => bar.setTotal(n),
    step: (label = '') => bar.increment(1, { label: label.length > 60 ? `…${label.slice(-59)}` : label }),
    stop: () => bar.stop(),
  };
}
