/**
 * The gomodproxy command line: one subcommand per program (serve, prefetch, export, cleanup,
 * import, operator, policy, audit, vulns). This folder parses flags and calls proxy/ and operator/; it is the only
 * place that imports both. A mistake in the settings or the command line is one line on stderr
 * and exit code 2; any other failure exit code 1.
 */
import { Command } from 'commander';
import { BundleError } from '../proxy/commands/importBundle.ts';
import { PrefetchInputError } from '../proxy/commands/prefetch.ts';
import { ConfigError } from '../proxy/config.ts';
import { GoSumError } from '../proxy/protocol/index.ts';
import { addAuditCommand } from './audit.ts';
import { addCleanupCommand } from './cleanup.ts';
import { addExportCommand } from './export.ts';
import { addImportCommand } from './import.ts';
import { addLifecycleCommands } from './lifecycle.ts';
import { addOperatorCommand } from './operator.ts';
import { addPolicyCommand } from './policy.ts';
import { addPrefetchCommand } from './prefetch.ts';
import { addServeCommand } from './serve.ts';
import { UsageError } from './usage.ts';
import { addVulnsCommand } from './vulns.ts';

export function buildCli(): Command {
  const program = new Command('gomodproxy')
    .description('A private Go module proxy: the GOPROXY protocol with a durable, verified cache of upstream modules.')
    .showHelpAfterError();
  addServeCommand(program);
  addPrefetchCommand(program);
  addExportCommand(program);
  addCleanupCommand(program);
  addImportCommand(program);
  addOperatorCommand(program);
  addLifecycleCommands(program);
  addPolicyCommand(program);
  addAuditCommand(program);
  addVulnsCommand(program);
  return program;
}

async function main(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof PrefetchInputError || err instanceof UsageError || err instanceof GoSumError || err instanceof BundleError) {
      process.stderr.write(`gomodproxy: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`gomodproxy: ${(err as Error).message}\n`);
    process.exit(1);
  }
}

await main(process.argv);
