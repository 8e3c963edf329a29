/**
 * Who may read which module: an ordered list of rules `{ modules, allow }`, the first rule
 * whose GOPRIVATE-style patterns match the module path decides; no rule matching means
 * `default`. An allow list names users, token names, groups, `authenticated` (anyone signed in)
 * and `anonymous` (anyone at all, signed in or not). Paths that name no module (checksum
 * database tiles and tree head, /metrics) are decided by the list the caller gives.
 *
 * Patterns match without regard to case: hosts such as GitHub serve github.com/Acme/x and
 * github.com/acme/x alike, so a rule for one spelling must hold for every spelling.
 */
import { prefixPatternMatcher } from '../protocol/index.ts';
import type { Identity } from './identities.ts';

export type AccessRuleSetting = { modules: readonly string[]; allow: readonly string[] };

/** True when `allow` lets `identity` in. */
export function allows(allow: readonly string[], identity: Identity): boolean {
  for (const entry of allow) {
    if (entry === 'anonymous') return true;
    if (identity.name === null) continue;
    if (entry === 'authenticated' || entry === identity.name || identity.groups.has(entry)) return true;
  }
  return false;
}

export class AccessRules {
  private readonly rules: Array<{ matches: (module: string) => boolean; allow: readonly string[] }>;
  readonly defaultAllow: readonly string[];

  constructor(rules: readonly AccessRuleSetting[], defaultAllow: readonly string[]) {
    this.defaultAllow = defaultAllow;
    this.rules = rules.map((rule) => ({ matches: prefixPatternMatcher(rule.modules.map((p) => p.toLowerCase())), allow: rule.allow }));
  }

  /** The allow list that decides for `module`. */
  allowListFor(module: string): readonly string[] {
    const folded = module.toLowerCase();
    return this.rules.find((rule) => rule.matches(folded))?.allow ?? this.defaultAllow;
  }

  mayRead(identity: Identity, module: string): boolean {
    return allows(this.allowListFor(module), identity);
  }
}
