/** `gomodproxy prefetch`: warms the store with a module graph. */
import type { Command } from 'commander';
import { progressEveryOption, progressFor, type ProgressFlags } from './progressFlag.ts';
import { commandConfig, commandLogger, withSettingsFlags, type ParsedFlags } from './settingsFlags.ts';
import { UsageError } from './usage.ts';

type PrefetchFlags = ParsedFlags & ProgressFlags & { concurrency?: string; json?: boolean };

async function prefetchCommand(inputs: string[], flags: PrefetchFlags): Promise<void> {
  const [{ formatPrefetchSummary, planPrefetch, prefetch }, { assembleProxy }] = await Promise.all([import('../proxy/commands/prefetch.ts'), import('../proxy/serve.ts')]);
  const config = commandConfig(flags);
  const plan = await planPrefetch(inputs);
  const concurrency = flags.concurrency === undefined ? 16 : Number(flags.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError(`--concurrency ${flags.concurrency}: give a whole number of at least 1`);
  const progress = progressFor('prefetch', flags);
  const logger = commandLogger(flags);
  const { modules, policy } = await assembleProxy(config, logger);
  const summary = await prefetch(plan, { modules, concurrency, progress, policy });
  progress.stop();
  process.stdout.write(flags.json ? `${JSON.stringify(summary, null, 2)}\n` : formatPrefetchSummary(summary));
  if (summary.failed > 0) process.exitCode = 1;
}

export function addPrefetchCommand(program: Command): void {
  withSettingsFlags(
    program
      .command('prefetch')
      .description('warm the store with the module graph of go.mod, go.work or go.sum files, or module@version arguments')
      .argument('<inputs...>', 'go.mod, go.work or go.sum files, or module@version'),
    'everyCommand',
  )
    .option('--concurrency <n>', 'files fetched at once (default: 16)')
    .option('--json', 'print the summary as JSON')
    .option(...progressEveryOption)
    .action(prefetchCommand);
}
