/** `gomodproxy export`: module versions from the store into an offline bundle. */
import type { Command } from 'commander';
import { stat } from 'node:fs/promises';
import type { ExportSelection, ExportSince } from '../proxy/commands/exportBundle.ts';
import { createProgress } from '../proxy/commands/progress.ts';
import { commandConfig, commandLogger, withSettingsFlags, type ParsedFlags } from './settingsFlags.ts';
import { commaList, readArgumentFile, UsageError } from './usage.ts';

type ExportFlags = ParsedFlags & { from?: string; all?: boolean; module?: string; out?: string; since?: string; json?: boolean };

/** --since names an earlier bundle (a file that exists) or a date (2026-11-30, or an ISO time). */
async function parseSince(value: string): Promise<ExportSince> {
  if (await stat(value).then((s) => s.isFile(), () => false)) return { bundle: value };
  const date = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) ? new Date(value) : null;
  if (!date || Number.isNaN(date.getTime())) {
    throw new UsageError(`--since ${JSON.stringify(value)} is neither a bundle file nor a date (such as 2026-11-30 or 2026-11-30T12:00:00Z)`);
  }
  return { date };
}

async function exportCommand(flags: ExportFlags): Promise<void> {
  const [{ exportBundle, formatExportSummary }, { assembleProxy }] = await Promise.all([import('../proxy/commands/exportBundle.ts'), import('../proxy/serve.ts')]);
  const chosen = [flags.from !== undefined, flags.all === true, flags.module !== undefined].filter(Boolean).length;
  if (chosen !== 1) throw new UsageError('say what to export with exactly one of --from <go.sum>, --all or --module <patterns>');
  if (!flags.out) throw new UsageError('say where to write the bundle with --out <file.tar>');
  const selection: ExportSelection = flags.from
    ? { goSum: await readArgumentFile(flags.from, 'go.sum'), file: flags.from }
    : { patterns: flags.all ? 'all' : commaList(flags.module!) };
  const since = flags.since === undefined ? undefined : await parseSince(flags.since);
  const config = commandConfig(flags);
  const { storage, checksumDatabase, checksums } = await assembleProxy(config, commandLogger(flags));
  const progress = createProgress('export');
  const summary = await exportBundle(storage, selection, flags.out, {
    progress,
    database: checksumDatabase,
    mayLookUp: (modulePath) => checksums.mayLookUp(modulePath),
    ...(since && { since }),
  });
  progress.stop();
  process.stdout.write(flags.json ? `${JSON.stringify(summary, null, 2)}\n` : formatExportSummary(summary));
  if (summary.missing.length > 0) process.exitCode = 1;
}

export function addExportCommand(program: Command): void {
  withSettingsFlags(program.command('export').description('write module versions from the store to an offline bundle (a tar usable as GOPROXY=file:// once unpacked), with the checksum database proof for them'), 'everyCommand')
    .option('--from <go.sum>', 'the versions a go.sum names')
    .option('--all', 'every version in the store')
    .option('--module <patterns>', 'the versions of modules matching GOPRIVATE-style patterns')
    .option('--out <file.tar>', 'where to write the bundle')
    .option('--since <bundle or date>', 'only what is new since an earlier bundle (a file) or a date: an incremental bundle')
    .option('--json', 'print the summary as JSON')
    .action(exportCommand);
}
