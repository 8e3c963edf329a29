/** `gomodproxy policy check <go.sum…>`: the policy's dry run for CI; exit code 1 when it would refuse a line. */
import type { Command } from 'commander';
import type { RefusedLine } from '../proxy/access/policyCheck.ts';
import { parseGoSum } from '../proxy/protocol/index.ts';
import { commandConfig, withSettingsFlags, type ParsedFlags } from './settingsFlags.ts';
import { readArgumentFile } from './usage.ts';

type PolicyCheckFlags = ParsedFlags & { json?: boolean };

async function policyCheckCommand(files: string[], flags: PolicyCheckFlags): Promise<void> {
  const [{ ModulePolicy }, { checkGoSum, formatRefusedLines }] = await Promise.all([import('../proxy/access/policy.ts'), import('../proxy/access/policyCheck.ts')]);
  const policy = new ModulePolicy(commandConfig(flags).policy);
  const results: Array<{ file: string; lines: number; refused: RefusedLine[] }> = [];
  for (const file of files) {
    const lines = parseGoSum(await readArgumentFile(file, 'go.sum'), file);
    results.push({ file, lines: lines.length, refused: checkGoSum(policy, lines) });
  }
  process.stdout.write(flags.json ? `${JSON.stringify(results, null, 2)}\n` : results.map((r) => formatRefusedLines(r.file, r.refused, r.lines)).join(''));
  if (results.some((r) => r.refused.length > 0)) process.exitCode = 1;
}

export function addPolicyCommand(program: Command): void {
  const policy = program.command('policy').description("the proxy's module policy (policy.deny, policy.allow)");
  withSettingsFlags(
    policy
      .command('check')
      .description('say which lines of go.sum files the policy would refuse (exit code 1 when any), for CI')
      .argument('<go.sum...>', 'go.sum files'),
    'everyCommand',
  )
    .option('--json', 'print the result as JSON')
    .action(policyCheckCommand);
}
