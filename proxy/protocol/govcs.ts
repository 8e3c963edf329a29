/**
 * GOVCS: which version control systems the go command may use for which
 * module paths (`go help vcs`). A comma-separated list of pattern:vcslist
 * rules; the pattern is a GOPRIVATE-style glob matched against a leading part
 * of the module path, the list is vcs names separated by '|', "all" for any,
 * "off" for none. The first rule whose pattern matches decides; a path that
 * no rule matches falls to the default.
 *
 * The go command also knows the patterns "public" and "private" (by
 * GOPRIVATE); the proxy's `direct` only ever fetches public paths, so
 * "public" matches every path given to it and "private" none.
 */
import { checkPatterns, matchPrefixPatterns } from './patterns.ts';

export type VcsRule = { pattern: string; vcs: string[] };

/** Parses a GOVCS value; throws with the offending rule when one is malformed. */
export function parseGovcs(value: string): VcsRule[] {
  const rules: VcsRule[] = [];
  const seen = new Set<string>();
  for (const item of value.split(',')) {
    const rule = item.trim();
    if (rule === '') continue;
    const colon = rule.lastIndexOf(':');
    if (colon <= 0) throw new Error(`malformed entry in GOVCS (missing colon): ${JSON.stringify(rule)}`);
    const pattern = rule.slice(0, colon).trim();
    const list = rule.slice(colon + 1).trim();
    if (list === '') throw new Error(`empty VCS list in GOVCS: ${JSON.stringify(rule)}`);
    if (seen.has(pattern)) throw new Error(`unreachable pattern in GOVCS: ${JSON.stringify(rule)} after ${JSON.stringify(pattern)}`);
    seen.add(pattern);
    if (pattern !== 'public' && pattern !== 'private') checkPatterns([pattern]);
    const vcs = list.split('|').map((v) => v.trim());
    if (vcs.some((v) => v === '')) throw new Error(`empty VCS name in GOVCS: ${JSON.stringify(rule)}`);
    if ((vcs.includes('off') || vcs.includes('all')) && vcs.length > 1) {
      throw new Error(`GOVCS: "off" and "all" must stand alone: ${JSON.stringify(rule)}`);
    }
    rules.push({ pattern, vcs });
  }
  return rules;
}

/** Whether the rules let `vcs` fetch a public module path; null when no rule matches. */
export function govcsAllows(rules: VcsRule[], modulePath: string, vcs: string): boolean | null {
  for (const rule of rules) {
    const matches = rule.pattern === 'public' || (rule.pattern !== 'private' && matchPrefixPatterns([rule.pattern], modulePath));
    if (!matches) continue;
    return rule.vcs.includes('all') || rule.vcs.includes(vcs);
  }
  return null;
}
