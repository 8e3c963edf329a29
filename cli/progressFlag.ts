/** `--progress-every <duration>` of the long commands: how often a progress line is written off a terminal. */
import { parseDuration } from '../proxy/config.ts';
import { createProgress, DEFAULT_PROGRESS_EVERY_MS, type Progress } from '../proxy/commands/progress.ts';
import { UsageError } from './usage.ts';

export type ProgressFlags = { progressEvery?: string };

/** The option as commander's .option() takes it. */
export const progressEveryOption = [
  '--progress-every <duration>',
  `off a terminal, write a progress line this often (default: ${DEFAULT_PROGRESS_EVERY_MS / 1000}s)`,
] as const;

/** The command's progress; a malformed --progress-every is a UsageError. */
export function progressFor(what: string, flags: ProgressFlags): Progress {
  if (flags.progressEvery === undefined) return createProgress(what);
  const everyMs = parseDuration(flags.progressEvery);
  if (!Number.isFinite(everyMs) || everyMs < 1) throw new UsageError(`--progress-every ${flags.progressEvery}: give a duration such as 10s, 1m or 500ms`);
  return createProgress(what, { everyMs });
}
