/**
 * `policy.vulnerable`: what the proxy does with a module version that an advisory of the Go
 * vulnerability database affects.
 *
 *   allow   served as any other version; nothing is looked up or recorded
 *   warn    served; the audit line and the request's log line carry the advisory IDs, and
 *           gomodproxy_vulnerable_downloads_total{action="warn"} counts it (the default)
 *   deny    refused with 403 and one line naming the advisories and their fixed versions (the
 *           go command prints it); left out of `list` and never named by `@latest`, so
 *           `go get m@latest` lands on a version no advisory affects; not served even when stored
 *
 * `{ action: deny, ids: [GO-2024-1234, CVE-2024-5678] }` applies the action to those advisories
 * only (by ID or alias); the other advisories of a version are recorded as with `warn`.
 *
 * Before the first snapshot of the database exists (a new proxy, `vulndb: off`) nothing is known:
 * versions are served and recorded as "unchecked" in the audit line and
 * gomodproxy_unchecked_downloads_total, rather than blocking every build while the database loads.
 */
import type { Advisory } from '../vulndb/advisoryIndex.ts';
import type { VulnerableVersions } from '../vulndb/vulnerableVersions.ts';
import type { PolicyRefusal } from './policy.ts';

export type VulnerableAction = 'allow' | 'warn' | 'deny';

export type VulnerableSetting = { action: VulnerableAction; ids?: readonly string[] };

/** What the policy says of one version. */
export type VulnerableVerdict =
  /** No advisory affects it (or the action is allow, or there is no database: `vulndb: off`). */
  | { action: 'none' }
  /** No snapshot of the database exists yet. */
  | { action: 'unchecked' }
  | { action: 'warn' | 'deny'; advisories: readonly Advisory[]; refusal: PolicyRefusal | null };

const NOTHING: VulnerableVerdict = { action: 'none' };
const UNCHECKED: VulnerableVerdict = { action: 'unchecked' };

/** "GO-2024-1234 (CVE-2024-5678; fixed in v1.2.4)" — what the go command shows of one advisory. */
function describeAdvisory(advisory: Advisory): string {
  const aliases = advisory.aliases.length > 0 ? `${advisory.aliases.join(', ')}; ` : '';
  return `${advisory.id} (${aliases}${advisory.fixed ? `fixed in ${advisory.fixed}` : 'no fixed version yet'})`;
}

export class VulnerablePolicy {
  readonly action: VulnerableAction;
  private readonly named: ReadonlySet<string> | null;
  private readonly versions: VulnerableVersions;

  constructor(setting: VulnerableSetting, versions: VulnerableVersions) {
    this.action = setting.action;
    this.named = setting.ids && setting.ids.length > 0 ? new Set(setting.ids.map((id) => id.toUpperCase())) : null;
    this.versions = versions;
  }

  /** Whether versions are looked up at all. */
  get checks(): boolean {
    return this.action !== 'allow';
  }

  /** Whether some versions may be refused. */
  get denies(): boolean {
    return this.action === 'deny';
  }

  /** Whether the action applies to this advisory: every one, or those named by ID or alias. */
  private applies(advisory: Advisory): boolean {
    if (this.named === null) return true;
    return this.named.has(advisory.id.toUpperCase()) || advisory.aliases.some((alias) => this.named!.has(alias.toUpperCase()));
  }

  verdict(modulePath: string, version: string): VulnerableVerdict {
    if (!this.checks) return NOTHING;
    const advisories = this.versions.advisoriesFor(modulePath, version);
    if (advisories === undefined) return this.versions.enabled ? UNCHECKED : NOTHING;
    if (advisories.length === 0) return NOTHING;
    const denying = this.action === 'deny' ? advisories.filter((a) => this.applies(a)) : [];
    if (denying.length === 0) return { action: 'warn', advisories, refusal: null };
    const reason = `affected by ${denying.map(describeAdvisory).join(', ')}`;
    return {
      action: 'deny',
      advisories,
      refusal: {
        reason,
        message: `${modulePath}@${version} is denied by the proxy's policy (policy.vulnerable): ${reason}; see ${denying[0]!.url}`,
        advisories: advisories.map((a) => a.id),
      },
    };
  }

  /** The refusal of a version an advisory the action applies to affects, or null. */
  refusal(modulePath: string, version: string): PolicyRefusal | null {
    if (!this.denies) return null;
    const verdict = this.verdict(modulePath, version);
    return verdict.action === 'deny' ? verdict.refusal : null;
  }
}
