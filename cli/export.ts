/** `gomodproxy export`: module versions from the store into an offline bundle. */
import type { Command } from 'commander';
import { exportBundle, formatExportSummary, type ExportSelection } from '../proxy/commands/exportBundle.ts';
import { createProgress } from '../proxy/commands/progress.ts';
import { createStorage } from '../proxy/serve.ts';
import { commandConfig, withSettingsFlags, type ParsedFlags } from './settingsFlags.ts';
import { commaList, readArgumentFile, UsageError } from './usage.ts';

type ExportFlags = ParsedFlags & { from?: string; all?: boolean; module?: string; out?: string; json?: boolean };

async function exportCommand(flags: ExportFlags): Promise<void> {
  const chosen = [flags.from !== undefined, flags.all === true, flags.module !== undefined].filter(Boolean).length;
  if (chosen !== 1) throw new UsageError('say what to export with exactly one of --from <go.sum>, --all or --module <patterns>');
  if (!flags.out) throw new UsageError('say where to write the bundle with --out <file.tar>');
  const selection: ExportSelection = flags.from
    ? { goSum: await readArgumentFile(flags.from, 'go.sum'), file: flags.from }
    : { patterns: flags.all ? 'all' : commaList(flags.module!) };
  const config = commandConfig(flags);
  const storage = await createStorage(config);
  await storage.open();
  const progress = createProgress('export');
  const summary = await exportBundle(storage, selection, flags.out, progress);
  progress.stop();
  process.stdout.write(flags.json ? `${JSON.stringify(summary, null, 2)}\n` : formatExportSummary(summary));
  if (summary.missing.length > 0) process.exitCode = 1;
}

export function addExportCommand(program: Command): void {
  withSettingsFlags(program.command('export').description('write module versions from the store to an offline bundle (a tar usable as GOPROXY=file:// once unpacked)'), 'everyCommand')
    .option('--from <go.sum>', 'the versions a go.sum names')
    .option('--all', 'every version in the store')
    .option('--module <patterns>', 'the versions of modules matching GOPRIVATE-style patterns')
    .option('--out <file.tar>', 'where to write the bundle')
    .option('--json', 'print the summary as JSON')
    .action(exportCommand);
}
