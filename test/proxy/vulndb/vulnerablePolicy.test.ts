// policy.vulnerable as the module policy applies it: which versions are refused and with what text,
// what list and @latest leave out, what warn records, what happens before the first snapshot, and
// that a new snapshot takes effect at once.
import { describe, expect, it } from 'vitest';
import { ModulePolicy } from '../../../proxy/access/policy.ts';
import { VulnerablePolicy, type VulnerableSetting } from '../../../proxy/access/vulnerablePolicy.ts';
import { resolveConfig } from '../../../proxy/config.ts';
import type { AdvisoryEntry } from '../../../proxy/vulndb/advisoryIndex.ts';
import { VulnerableVersions, type IndexedSnapshot } from '../../../proxy/vulndb/vulnerableVersions.ts';

type Entry = AdvisoryEntry;

function snapshotOf(entries: Entry[], modified = '2026-01-01T00:00:00Z'): IndexedSnapshot {
  return {
    modified,
    refreshedAt: new Date(modified),
    stale: false,
    entriesForModule: (modulePath) => entries.filter((e) => e.affected.some((a) => a.package.name === modulePath)),
  };
}

const LIB = 'github.com/acme/lib';
const parserBug: Entry = {
  id: 'GO-2026-0001',
  aliases: ['CVE-2026-1111'],
  summary: 'Parser panics on deep input',
  affected: [{ package: { name: LIB }, ranges: [{ type: 'SEMVER', events: [{ introduced: '1.2.0' }, { fixed: '1.2.2' }] }] }],
};
const oldBug: Entry = {
  id: 'GO-2026-0002',
  affected: [{ package: { name: LIB }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.1.0' }] }] }],
};
const unfixed: Entry = {
  id: 'GO-2026-0003',
  aliases: ['CVE-2026-3333', 'GHSA-abcd-efgh-jkmp'],
  severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
  affected: [{ package: { name: 'github.com/acme/other' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }] }] }],
};

function policies(setting: VulnerableSetting, entries?: Entry[]) {
  const versions = new VulnerableVersions();
  if (entries) versions.use(snapshotOf(entries));
  const vulnerable = new VulnerablePolicy(setting, versions);
  return { versions, vulnerable, policy: new ModulePolicy({ deny: [] }, vulnerable) };
}

describe('policy.vulnerable', () => {
  it('deny refuses affected versions with the advisory, its aliases and the fixed version in one line', () => {
    const { policy } = policies({ action: 'deny' }, [parserBug, oldBug, unfixed]);
    expect(policy.versionRefusal(LIB, 'v1.2.1')).toEqual({
      reason: 'affected by GO-2026-0001 (CVE-2026-1111; fixed in v1.2.2)',
      message:
        "github.com/acme/lib@v1.2.1 is denied by the proxy's policy (policy.vulnerable): affected by GO-2026-0001 (CVE-2026-1111; fixed in v1.2.2); see https://pkg.go.dev/vuln/GO-2026-0001",
      advisories: ['GO-2026-0001'],
    });
    expect(policy.versionRefusal(LIB, 'v1.0.0')?.reason).toBe('affected by GO-2026-0002 (fixed in v1.1.0)');
    expect(policy.versionRefusal(LIB, 'v1.2.2')).toBeNull();
    expect(policy.versionRefusal(LIB, 'v1.1.0')).toBeNull();
    expect(policy.versionRefusal('github.com/acme/other', 'v0.1.0')?.reason).toBe('affected by GO-2026-0003 (CVE-2026-3333, GHSA-abcd-efgh-jkmp; no fixed version yet)');
  });

  it('deny leaves affected versions out of list, and @latest falls back to the newest fixed one', () => {
    const { policy } = policies({ action: 'deny' }, [parserBug, oldBug]);
    const list = Buffer.from('v1.0.0\nv1.1.0\nv1.2.0\nv1.2.1\n');
    expect(policy.allowedList(LIB, list).toString()).toBe('v1.1.0\n');
    expect(policy.latestAllowed(LIB, ['v1.0.0', 'v1.1.0', 'v1.2.0', 'v1.2.1'])).toBe('v1.1.0');
    expect(policy.latestAllowed(LIB, ['v1.1.0', 'v1.2.1', 'v1.2.2'])).toBe('v1.2.2');
  });

  it('deny by ids acts on the named advisories (ID or alias, any case) and only warns of the others', () => {
    const { policy, vulnerable } = policies({ action: 'deny', ids: ['cve-2026-1111'] }, [parserBug, oldBug]);
    expect(policy.versionRefusal(LIB, 'v1.2.1')?.advisories).toEqual(['GO-2026-0001']);
    expect(policy.versionRefusal(LIB, 'v1.0.0')).toBeNull();
    expect(vulnerable.verdict(LIB, 'v1.0.0')).toMatchObject({ action: 'warn', advisories: [{ id: 'GO-2026-0002' }] });
  });

  it('warn refuses nothing and reports the advisories with what the entry says', () => {
    const { policy, vulnerable } = policies({ action: 'warn' }, [unfixed]);
    expect(policy.isEmpty).toBe(true);
    expect(policy.versionRefusal('github.com/acme/other', 'v0.1.0')).toBeNull();
    expect(vulnerable.verdict('github.com/acme/other', 'v0.1.0')).toEqual({
      action: 'warn',
      refusal: null,
      advisories: [
        {
          id: 'GO-2026-0003',
          aliases: ['CVE-2026-3333', 'GHSA-abcd-efgh-jkmp'],
          summary: '',
          fixed: '',
          severity: 'CVSS_V3 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
          url: 'https://pkg.go.dev/vuln/GO-2026-0003',
        },
      ],
    });
    expect(vulnerable.verdict(LIB, 'v1.0.0')).toEqual({ action: 'none' });
  });

  it('allow looks nothing up', () => {
    const { policy, vulnerable } = policies({ action: 'allow' }, [parserBug]);
    expect(vulnerable.verdict(LIB, 'v1.2.1')).toEqual({ action: 'none' });
    expect(policy.versionRefusal(LIB, 'v1.2.1')).toBeNull();
  });

  it('before the first snapshot serves every version as unchecked; without a database checks nothing', () => {
    const versions = new VulnerableVersions({ current: () => undefined, onSnapshot: () => {} });
    const vulnerable = new VulnerablePolicy({ action: 'deny' }, versions);
    expect(vulnerable.verdict(LIB, 'v1.2.1')).toEqual({ action: 'unchecked' });
    expect(new ModulePolicy({ deny: [] }, vulnerable).versionRefusal(LIB, 'v1.2.1')).toBeNull();
    expect(policies({ action: 'deny' }).vulnerable.verdict(LIB, 'v1.2.1')).toEqual({ action: 'none' });
  });

  it('a new snapshot takes effect at the next question', () => {
    let listener: ((snapshot: IndexedSnapshot) => void) | undefined;
    const versions = new VulnerableVersions({ current: () => snapshotOf([oldBug]), onSnapshot: (l) => (listener = l) });
    const policy = new ModulePolicy({ deny: [] }, new VulnerablePolicy({ action: 'deny' }, versions));
    expect(policy.versionRefusal(LIB, 'v1.2.1')).toBeNull();
    listener!(snapshotOf([oldBug, parserBug], '2026-02-01T00:00:00Z'));
    expect(policy.versionRefusal(LIB, 'v1.2.1')?.advisories).toEqual(['GO-2026-0001']);
    expect(versions.status()).toEqual({ modified: '2026-02-01T00:00:00Z', refreshedAt: '2026-02-01T00:00:00.000Z', stale: false });
  });

  it('deny rules of policy.deny come first', () => {
    const versions = new VulnerableVersions();
    versions.use(snapshotOf([parserBug]));
    const policy = new ModulePolicy({ deny: [{ module: LIB, versions: 'v1.2.1', reason: 'known bad build' }] }, new VulnerablePolicy({ action: 'deny' }, versions));
    expect(policy.versionRefusal(LIB, 'v1.2.1')).toMatchObject({ reason: 'known bad build' });
    expect(policy.versionRefusal(LIB, 'v1.2.0')?.advisories).toEqual(['GO-2026-0001']);
  });

  it('is read from the settings as a word or as { action, ids }, warn by default', () => {
    expect(resolveConfig({}).policy.vulnerable).toEqual({ action: 'warn' });
    expect(resolveConfig({ policy: { vulnerable: 'deny' } }).policy.vulnerable).toEqual({ action: 'deny' });
    expect(resolveConfig({}, { policy: { vulnerable: 'allow' } }).policy.vulnerable).toEqual({ action: 'allow' });
    expect(resolveConfig({ policy: { vulnerable: { action: 'deny', ids: ['GO-2026-0001', 'CVE-2026-1111'] } } }).policy.vulnerable).toEqual({
      action: 'deny',
      ids: ['GO-2026-0001', 'CVE-2026-1111'],
    });
    expect(() => resolveConfig({ policy: { vulnerable: 'block' } })).toThrow(
      'invalid setting policy.vulnerable (GOMODPROXY_POLICY_VULNERABLE) = "block": allowed: allow, warn, deny, or { action: deny|warn, ids: [GO-…, CVE-…] }',
    );
    expect(() => resolveConfig({ policy: { vulnerable: { action: 'deny', ids: ['RUSTSEC-1'] } } })).toThrow('invalid setting policy.vulnerable.ids.0 = "RUSTSEC-1"');
    expect(() => resolveConfig({ policy: { vulnerable: { action: 'allow', ids: ['GO-2026-0001'] } } })).toThrow('ids go with action deny or warn');
  });
});
