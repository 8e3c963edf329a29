/**
 * The dry run of the policy for CI (`gomodproxy policy check go.sum`): which go.sum lines name a
 * module version the proxy would refuse to serve. Both lines of a version (the zip's and the
 * go.mod's) are reported: the go command needs the .mod of every version in the build graph.
 * Allow-list mode counts too: a module not on the list is refused unless already stored, which a
 * dry run cannot know, so it is reported.
 */
import type { GoSumLine } from '../protocol/index.ts';
import type { ModulePolicy } from './policy.ts';

export type RefusedLine = { module: string; version: string; goMod: boolean; reason: string };

export function checkGoSum(policy: ModulePolicy, lines: readonly GoSumLine[]): RefusedLine[] {
  const refused: RefusedLine[] = [];
  for (const entry of lines) {
    const refusal = policy.versionRefusal(entry.path, entry.version) ?? policy.fetchRefusal(entry.path);
    if (refusal) refused.push({ module: entry.path, version: entry.version, goMod: entry.goMod, reason: refusal.message });
  }
  return refused;
}

export function formatRefusedLines(file: string, refused: readonly RefusedLine[], total: number): string {
  if (refused.length === 0) return `${file}: all ${total} lines are allowed by the policy\n`;
  const shown = refused.map((r) => `${file}: ${r.module} ${r.version}${r.goMod ? '/go.mod' : ''}: ${r.reason}\n`).join('');
  return `${shown}${refused.length} of ${total} lines refused by the policy\n`;
}
