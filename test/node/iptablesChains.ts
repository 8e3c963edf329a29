// kube-proxy and kubelet write iptables chains named KUBE-*. `kube-proxy --cleanup` removes
// kube-proxy's; this removes whatever KUBE-* chain is left that was not there before the node
// started (kubelet's canaries, a kube-proxy that crashed), with the rules that jump to them, and
// touches no other rule: other programs on the machine keep theirs.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

const TOOLS = ['iptables', 'ip6tables'] as const;
const TABLES = ['filter', 'nat', 'mangle'] as const;

type Chains = Set<string>;

async function rules(tool: string, table: string): Promise<string[]> {
  try {
    const { stdout } = await run(tool, ['-w', '-t', table, '-S']);
    return stdout.split('\n').filter((line) => line !== '');
  } catch {
    // No such table, or no ip6tables on this machine.
    return [];
  }
}

/** Every KUBE-* chain now, as "tool table chain". */
export async function kubeChains(): Promise<Chains> {
  const chains: Chains = new Set();
  for (const tool of TOOLS) {
    for (const table of TABLES) {
      for (const line of await rules(tool, table)) {
        const match = /^-N (KUBE-\S+)$/.exec(line);
        if (match) chains.add(`${tool} ${table} ${match[1]}`);
      }
    }
  }
  return chains;
}

/** Removes the KUBE-* chains that are not in before; returns what it removed. */
export async function removeKubeChainsSince(before: Chains): Promise<string[]> {
  const removed: string[] = [];
  for (const tool of TOOLS) {
    for (const table of TABLES) {
      const lines = await rules(tool, table);
      const ours = new Set(
        lines.map((line) => /^-N (KUBE-\S+)$/.exec(line)?.[1]).filter((chain): chain is string => chain !== undefined && !before.has(`${tool} ${table} ${chain}`)),
      );
      if (ours.size === 0) continue;
      // First every rule that jumps to one of them (in any chain), then the chains themselves.
      for (const line of lines) {
        const jump = /-j (KUBE-\S+)/.exec(line)?.[1];
        if (line.startsWith('-A ') && jump !== undefined && ours.has(jump)) {
          await run(tool, ['-w', '-t', table, ...splitRule(line.replace(/^-A /, '-D '))]).catch(() => undefined);
        }
      }
      for (const chain of ours) await run(tool, ['-w', '-t', table, '-F', chain]).catch(() => undefined);
      for (const chain of ours) {
        await run(tool, ['-w', '-t', table, '-X', chain]).catch(() => undefined);
        removed.push(`${tool} ${table} ${chain}`);
      }
    }
  }
  return removed;
}

/** iptables -S quotes arguments that hold spaces (comments): split as a shell would. */
function splitRule(line: string): string[] {
  const words: string[] = [];
  for (const match of line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)) words.push(match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : match[2]!);
  return words;
}
