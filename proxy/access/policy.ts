/**
 * The module policy: which module versions the proxy refuses to serve (deny rules), and, in
 * allow-list mode, which modules it fetches at all.
 *
 * - A deny rule names modules by a GOPRIVATE-style pattern (a glob matching leading path
 *   elements, so "github.com/acme/bad" also covers "github.com/acme/bad/v2" and its
 *   sub-modules) and, optionally, versions by a range (protocol/versionRange.ts) or a list of
 *   ranges and versions. Without versions the whole module is denied. A denied version is
 *   answered 403 with the rule's reason (the go command prints it), is left out of `list` and
 *   never named by `@latest`, and is not served even when it is in storage.
 * - The allow list (like Athens' filter file): when set, only modules matching one of its
 *   patterns are fetched from upstreams or git; others are refused with 403. Versions already
 *   in storage (from an import, or stored before the list was set) are still served: deny them
 *   to keep them out.
 *
 * The first deny rule that matches gives the reason. After the rules, `policy.vulnerable: deny`
 * (vulnerablePolicy.ts) refuses versions that advisories of the vulnerability database affect,
 * with the same answers: 403, left out of `list` and `@latest`, skipped by prefetch and import.
 */
import type { VulnerablePolicy } from './vulnerablePolicy.ts';
import { isValidSemver, latestVersion, parseVersionRange, prefixPatternMatcher, versionInRange, type VersionRange } from '../protocol/index.ts';

export type DenyRuleSetting = {
  /** GOPRIVATE-style pattern of module paths. */
  module: string;
  /** A version range, or a list of ranges and versions; none: every version. */
  versions?: string | string[];
  reason: string;
};

export type PolicySetting = {
  deny: DenyRuleSetting[];
  /** GOPRIVATE-style patterns; undefined: every module may be fetched. */
  allow?: string[];
};

type DenyRule = { matches: (modulePath: string) => boolean; ranges: VersionRange[] | null; setting: DenyRuleSetting };

/** Why a module or version is refused, as the client and the audit trail see it. */
export type PolicyRefusal = {
  reason: string;
  message: string;
  /** The IDs of the advisories affecting the version, when policy.vulnerable refused it. */
  advisories?: readonly string[];
};

export class ModulePolicy {
  private readonly denyRules: DenyRule[];
  private readonly allowed: ((modulePath: string) => boolean) | null;
  private readonly vulnerable: VulnerablePolicy | null;

  /** `vulnerable`: the policy for versions advisories affect (none: they are not looked at here). */
  constructor(setting: PolicySetting, vulnerable?: VulnerablePolicy) {
    this.vulnerable = vulnerable?.denies ? vulnerable : null;
    this.denyRules = setting.deny.map((rule) => ({
      matches: prefixPatternMatcher(rule.module),
      ranges: rule.versions === undefined ? null : (Array.isArray(rule.versions) ? rule.versions : [rule.versions]).map(parseVersionRange),
      setting: rule,
    }));
    this.allowed = setting.allow && setting.allow.length > 0 ? prefixPatternMatcher(setting.allow) : null;
  }

  /** Whether any rule is set; without one the server skips every check. */
  get isEmpty(): boolean {
    return this.denyRules.length === 0 && this.allowed === null && this.vulnerable === null;
  }

  /** The refusal of a whole module (a deny rule without versions), or null. */
  moduleRefusal(modulePath: string): PolicyRefusal | null {
    const rule = this.denyRules.find((r) => r.ranges === null && r.matches(modulePath));
    return rule ? { reason: rule.setting.reason, message: `${modulePath} is denied by the proxy's policy: ${rule.setting.reason}` } : null;
  }

  /** The refusal of one version (a canonical or pseudo-version), or null when it may be served. */
  versionRefusal(modulePath: string, version: string): PolicyRefusal | null {
    const rule = this.denyRules.find((r) => r.matches(modulePath) && (r.ranges === null || r.ranges.some((range) => versionInRange(range, version))));
    if (rule) return { reason: rule.setting.reason, message: `${modulePath}@${version} is denied by the proxy's policy: ${rule.setting.reason}` };
    return this.vulnerable?.refusal(modulePath, version) ?? null;
  }

  /** The refusal to fetch a module from an upstream or git in allow-list mode, or null. */
  fetchRefusal(modulePath: string): PolicyRefusal | null {
    if (this.allowed === null || this.allowed(modulePath)) return null;
    const reason = 'not on the allow list';
    return { reason, message: `${modulePath} is ${reason} of this proxy (policy.allow); ask its operators to add it` };
  }

  /**
   * The refusal to take a version into the store by `prefetch` or `import`: a deny rule, or, in
   * allow-list mode, a module not on the list (a bundle is a source as an upstream is).
   */
  storeRefusal(modulePath: string, version: string): PolicyRefusal | null {
    return this.versionRefusal(modulePath, version) ?? this.fetchRefusal(modulePath);
  }

  /** A `list` answer without the denied versions. */
  allowedList(modulePath: string, body: Buffer): Buffer {
    const lines = body.toString('utf8').split('\n').filter((line) => line !== '');
    const kept = lines.filter((line) => !isValidSemver(line.trim()) || this.versionRefusal(modulePath, line.trim()) === null);
    return kept.length === lines.length ? body : Buffer.from(kept.map((line) => `${line}\n`).join(''));
  }

  /** The version @latest should name among listed versions with the denied ones left out. */
  latestAllowed(modulePath: string, versions: readonly string[]): string | undefined {
    return latestVersion(versions.filter((v) => this.versionRefusal(modulePath, v) === null));
  }
}
