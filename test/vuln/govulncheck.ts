// govulncheck, built by ensureGovulncheck.sh from the pinned tools module, run on a test program
// with `-format json`; its findings read back as "called" (a symbol of the program's call graph)
// or "imported" (a vulnerable package imported, no vulnerable symbol called).
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';

let govulncheckPath: string | undefined;

export function govulncheckBinary(): string {
  govulncheckPath ??= execFileSync('bash', [join(import.meta.dirname, 'ensureGovulncheck.sh')], { encoding: 'utf8' }).trim();
  return govulncheckPath;
}

export type GovulncheckRun = { code: number; stdout: string; stderr: string; messages: Array<Record<string, unknown>> };

export function runGovulncheck(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<GovulncheckRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(govulncheckBinary(), args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      // `-format json` writes a stream of indented JSON objects, each starting at the line's start.
      const json = args.join(' ').includes('-format json');
      const messages = !json || stdout.trim() === '' ? [] : stdout.split(/\n(?=\{)/).map((text) => JSON.parse(text) as Record<string, unknown>);
      resolve({ code: code ?? -1, stdout, stderr, messages });
    });
  });
}

type Frame = { module?: string; version?: string; package?: string; function?: string; receiver?: string };
type Finding = { osv: string; fixed_version?: string; trace: Frame[] };

/** By advisory ID: "called" when a finding's trace reaches a function, else "imported" or "required". */
export function findingLevels(messages: Array<Record<string, unknown>>): Record<string, 'called' | 'imported' | 'required'> {
  const levels: Record<string, 'called' | 'imported' | 'required'> = {};
  const rank = { required: 0, imported: 1, called: 2 } as const;
  for (const message of messages) {
    const finding = message['finding'] as Finding | undefined;
    if (!finding) continue;
    const top = finding.trace[0] ?? {};
    const level = top.function ? 'called' : top.package ? 'imported' : 'required';
    const known = levels[finding.osv];
    if (!known || rank[level] > rank[known]) levels[finding.osv] = level;
  }
  return levels;
}
