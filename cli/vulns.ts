/** `gomodproxy vulns`: which stored versions advisories of the mirrored vulnerability database affect. */
import type { Command } from 'commander';
import { commandConfig, withSettingsFlags, type ParsedFlags } from './settingsFlags.ts';
import { commaList } from './usage.ts';

type VulnsFlags = ParsedFlags & { module?: string; id?: string; json?: boolean };

async function vulnsCommand(flags: VulnsFlags): Promise<void> {
  const [{ formatVulnsReport, readStoredSnapshot, vulnerableStoredVersions }, { createStorage }] = await Promise.all([
    import('../proxy/commands/vulns.ts'),
    import('../proxy/storage/fromConfig.ts'),
  ]);
  const storage = await createStorage(commandConfig(flags));
  await storage.open();
  try {
    const stored = await readStoredSnapshot(storage);
    if (!stored) {
      throw new Error(
        `no vulnerability database snapshot in ${storage.description} (gomodproxy/vulndb/): a proxy serving this store with vulndb set stores one at its first refresh, and import brings one with a bundle`,
      );
    }
    const report = await vulnerableStoredVersions(storage, stored.snapshot, stored.status, {
      modules: flags.module ? commaList(flags.module) : [],
      ids: flags.id ? commaList(flags.id) : [],
    });
    process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatVulnsReport(report));
  } finally {
    await storage.close?.();
  }
}

export function addVulnsCommand(program: Command): void {
  withSettingsFlags(
    program
      .command('vulns')
      .description('which stored module versions advisories of the vulnerability database affect, by the newest snapshot in the store (disk or S3)'),
    'everyCommand',
  )
    .option('--module <patterns>', 'look only at modules matching GOPRIVATE-style patterns')
    .option('--id <ids>', 'only these advisories, by Go ID or alias (GO-2024-1234,CVE-2024-12345)')
    .option('--json', 'print the report as JSON: {database, versions, affected: [{module, version, advisories}]}')
    .action(vulnsCommand);
}
