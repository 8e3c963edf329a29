/** `gomodproxy cleanup`: removes versions by the retention rules. */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { createProgress } from '../proxy/commands/progress.ts';
import { parseDuration } from '../proxy/config.ts';
import { commandConfig, commandLogger, withSettingsFlags, type ParsedFlags } from './settingsFlags.ts';
import { commaList, UsageError } from './usage.ts';

type CleanupFlags = ParsedFlags & {
  keepSince?: string;
  keepLatest?: string;
  pin?: string[];
  module?: string;
  dryRun?: boolean;
  gitMirrors?: boolean;
  json?: boolean;
  terminationMessage?: string;
};

async function cleanupCommand(flags: CleanupFlags): Promise<void> {
  const [{ cleanup, cleanupReport, formatCleanupSummary, formatMirrorPruning }, { createStorage }] = await Promise.all([
    import('../proxy/commands/cleanup.ts'),
    import('../proxy/storage/fromConfig.ts'),
  ]);
  const config = commandConfig(flags);
  const keepSinceMs = flags.keepSince === undefined ? config.retention.keepSince : parseDuration(flags.keepSince);
  if (!Number.isFinite(keepSinceMs) || keepSinceMs < 0) throw new UsageError(`--keep-since ${flags.keepSince}: give a duration such as 180d, 12h or 30m`);
  const keepLatest = flags.keepLatest === undefined ? config.retention.keepLatest : Number(flags.keepLatest);
  if (!Number.isInteger(keepLatest) || keepLatest < 0) throw new UsageError(`--keep-latest ${flags.keepLatest}: give a whole number, 0 or more`);
  const storage = await createStorage(config);
  await storage.open();
  const progress = createProgress(flags.dryRun ? 'cleanup (dry run)' : 'cleanup');
  try {
    const summary = await cleanup(
      storage,
      {
        keepSinceMs,
        keepLatest,
        pins: [...config.retention.pins, ...(flags.pin ?? [])],
        modules: flags.module ? commaList(flags.module) : [],
        dryRun: flags.dryRun === true,
      },
      { progress },
    );
    progress.stop();
    const mirrors = flags.gitMirrors
      ? await (await import('../proxy/sources/index.ts')).pruneMirrors(config.git.cacheDir, { maxBytes: config.git.cacheSize, unusedForMs: keepSinceMs, dryRun: summary.dryRun })
      : undefined;
    process.stdout.write(
      flags.json
        ? `${JSON.stringify(mirrors ? { ...summary, gitMirrors: mirrors } : summary, null, 2)}\n`
        : formatCleanupSummary(summary) + (mirrors ? formatMirrorPruning(mirrors, summary.dryRun) : ''),
    );
    if (flags.terminationMessage !== undefined && !summary.dryRun) await writeTerminationMessage(flags.terminationMessage, JSON.stringify(cleanupReport(summary, new Date())), flags);
  } finally {
    await storage.close?.();
  }
}

/**
 * Best effort: the cleanup has already succeeded, so a report that cannot be written is a warning,
 * not a failed run (the next run reports again).
 */
async function writeTerminationMessage(file: string, line: string, flags: CleanupFlags): Promise<void> {
  try {
    await writeFile(file, `${line}\n`);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    commandLogger(flags).warn({ file, err: reason }, `cannot write the cleanup report to --termination-message ${file}: ${reason}; the cleanup itself succeeded (give a writable file, in Kubernetes /dev/termination-log)`);
  }
}

export function addCleanupCommand(program: Command): void {
  withSettingsFlags(
    program
      .command('cleanup')
      .description('remove versions neither downloaded within --keep-since nor among the --keep-latest newest releases of their module, nor pinned'),
    'everyCommand',
  )
    .option('--keep-since <duration>', 'keep versions downloaded within this time [retention.keepSince] (default: 180d)')
    .option('--keep-latest <n>', 'keep the newest n releases of every module [retention.keepLatest] (default: 3)')
    .option('--pin <spec...>', 'never remove module@version, or every version of modules matching a pattern [retention.pins]')
    .option('--module <patterns>', 'look only at modules matching GOPRIVATE-style patterns')
    .option('--dry-run', 'say what would be removed, remove nothing')
    .option('--git-mirrors', 'also remove the git mirrors in git.cacheDir not used within --keep-since, then the least recently used beyond git.cacheSize (never one used within the last hour)')
    .option('--json', 'print the summary as JSON')
    .option('--termination-message <file>', 'after a run that removed for real, write {"time","removedVersions","freedBytes"} as one JSON line here (in Kubernetes: /dev/termination-log)')
    .action(cleanupCommand);
}
