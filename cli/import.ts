/** `gomodproxy import`: checks every module version of a bundle and stores those that pass. */
import type { Command } from 'commander';
import { parseGoSum } from '../proxy/protocol/index.ts';
import { progressEveryOption, progressFor, type ProgressFlags } from './progressFlag.ts';
import { commandConfig, commandLogger, withSettingsFlags, type ParsedFlags } from './settingsFlags.ts';
import { readArgumentFile } from './usage.ts';

type ImportFlags = ParsedFlags & ProgressFlags & { goSum?: string; json?: boolean };

async function importCommand(bundle: string, flags: ImportFlags): Promise<void> {
  const [{ formatImportSummary, importBundle }, { assembleProxy }, { parseSumdbSetting }] = await Promise.all([
    import('../proxy/commands/importBundle.ts'),
    import('../proxy/serve.ts'),
    import('../proxy/sumdb/index.ts'),
  ]);
  const goSum = flags.goSum ? parseGoSum(await readArgumentFile(flags.goSum, 'go.sum'), flags.goSum) : undefined;
  const config = commandConfig(flags);
  const progress = progressFor('import', flags);
  const { storage, checksums, policy } = await assembleProxy(config, commandLogger(flags));
  const sumdb = parseSumdbSetting(config.sumdb);
  const database = sumdb.off ? null : { name: sumdb.name, verifier: sumdb.verifier };
  const summary = await importBundle(bundle, { storage, checksums, database, progress, policy, ...(goSum && { goSum }) });
  progress.stop();
  process.stdout.write(flags.json ? `${JSON.stringify(summary, null, 2)}\n` : formatImportSummary(summary));
  if (summary.refused.length > 0) process.exitCode = 1;
}

export function addImportCommand(program: Command): void {
  withSettingsFlags(
    program
      .command('import')
      .description('check every module version of an offline bundle (against the checksum database proof it carries) and add those that pass to the store')
      .argument('<bundle.tar>', 'a bundle written by gomodproxy export'),
    'everyCommand',
  )
    .option('--go-sum <file>', 'a go.sum whose lines the bundle must agree with')
    .option('--json', 'print the summary as JSON')
    .option(...progressEveryOption)
    .action(importCommand);
}
