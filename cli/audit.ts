/** `gomodproxy audit`: who fetched what, read from the audit trail's day files in the store (or --file). */
import type { Command } from 'commander';
import type { AuditQuery } from '../proxy/access/auditRead.ts';
import { parseDuration } from '../proxy/config.ts';
import { commandConfig, withSettingsFlags, type ParsedFlags } from './settingsFlags.ts';
import { commaList, UsageError } from './usage.ts';

type AuditFlags = ParsedFlags & { module?: string; version?: string; user?: string; since?: string; file?: string; json?: boolean };

async function auditCommand(flags: AuditFlags): Promise<void> {
  const [{ formatAuditTable, readAuditFile, readStoredAudit }, { createStorage }] = await Promise.all([import('../proxy/access/auditRead.ts'), import('../proxy/storage/fromConfig.ts')]);
  const query: AuditQuery = {};
  if (flags.module !== undefined) query.modules = commaList(flags.module);
  if (flags.version !== undefined) query.version = flags.version;
  if (flags.user !== undefined) query.user = flags.user;
  if (flags.since !== undefined) {
    const ms = parseDuration(flags.since);
    if (!Number.isFinite(ms)) throw new UsageError(`--since ${flags.since}: give a duration such as 30d, 12h or 30m`);
    query.since = Date.now() - ms;
  }
  let entries;
  if (flags.file !== undefined) {
    try {
      entries = await readAuditFile(flags.file, query);
    } catch (err) {
      throw new UsageError(`cannot read audit file ${flags.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  } else {
    const storage = await createStorage(commandConfig(flags));
    await storage.open();
    try {
      entries = await readStoredAudit(storage, query);
    } finally {
      await storage.close?.();
    }
  }
  process.stdout.write(flags.json ? entries.map((entry) => `${JSON.stringify(entry)}\n`).join('') : formatAuditTable(entries));
}

export function addAuditCommand(program: Command): void {
  withSettingsFlags(program.command('audit').description('who fetched what: the audit trail (audit.storage day files, or --file), as a table or --json'), 'everyCommand')
    .option('--module <patterns>', 'modules matching GOPRIVATE-style patterns, e.g. "github.com/acme/*"')
    .option('--version <version>', 'this version only')
    .option('--user <name>', 'requests of this identity only')
    .option('--since <duration>', 'entries of the last 30d, 12h, …')
    .option('--file <file>', 'read this local audit file (audit.file) instead of the store')
    .option('--json', 'print one JSON line per entry')
    .action(auditCommand);
}
