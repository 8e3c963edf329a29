import { describe, expect, it } from 'vitest';
import { ModulePolicy } from '../../../proxy/access/policy.ts';
import { ConfigError, resolveConfig } from '../../../proxy/config.ts';

const policy = new ModulePolicy({
  deny: [
    { module: 'github.com/acme/lib', versions: '>=v1.2.0 <v1.3.0', reason: 'bad parser' },
    { module: 'github.com/acme/lib', versions: ['v0.9.1', '<v0.5.0'], reason: 'old' },
    { module: 'github.com/oldcorp/*', reason: 'retired' },
  ],
});

describe('module policy', () => {
  it.each([
    ['github.com/acme/lib', 'v1.2.0', 'bad parser'],
    ['github.com/acme/lib', 'v1.2.9-rc.1', 'bad parser'],
    ['github.com/acme/lib/v2', 'v2.0.0', null],
    ['github.com/acme/lib/sub', 'v1.2.5', 'bad parser'],
    ['github.com/acme/lib', 'v1.3.0', null],
    ['github.com/acme/lib', 'v0.9.1', 'old'],
    ['github.com/acme/lib', 'v0.4.0', 'old'],
    ['github.com/acme/lib', 'v0.9.0', null],
    ['github.com/acme/libx', 'v1.2.0', null],
    ['github.com/oldcorp/tool', 'v1.0.0', 'retired'],
  ])('%s@%s: %s', (module, version, reason) => {
    const refusal = policy.versionRefusal(module, version);
    if (reason === null) expect(refusal).toBeNull();
    else expect(refusal?.message).toBe(`${module}@${version} is denied by the proxy's policy: ${reason}`);
  });

  it('refuses whole modules only for rules without versions', () => {
    expect(policy.moduleRefusal('github.com/acme/lib')).toBeNull();
    expect(policy.moduleRefusal('github.com/oldcorp/tool')?.reason).toBe('retired');
  });

  it('leaves denied versions out of a list and picks latest among the others', () => {
    expect(policy.allowedList('github.com/acme/lib', Buffer.from('v0.4.0\nv0.9.1\nv1.1.0\nv1.2.0\nv1.2.1\n')).toString()).toBe('v1.1.0\n');
    expect(policy.latestAllowed('github.com/acme/lib', ['v1.1.0', 'v1.2.0', 'v1.3.0-rc.1'])).toBe('v1.1.0');
    expect(policy.latestAllowed('github.com/acme/lib', ['v1.2.0'])).toBeUndefined();
  });

  it('in allow-list mode refuses to fetch other modules', () => {
    const allowOnly = new ModulePolicy({ deny: [], allow: ['github.com/acme', 'golang.org/x/*'] });
    expect(allowOnly.fetchRefusal('github.com/acme/lib')).toBeNull();
    expect(allowOnly.fetchRefusal('golang.org/x/text')).toBeNull();
    expect(allowOnly.fetchRefusal('github.com/other/lib')?.message).toContain('not on the allow list');
    expect(policy.fetchRefusal('github.com/other/lib')).toBeNull();
  });
});

describe('policy, audit and trustedProxies settings', () => {
  it.each([
    [{ policy: { deny: [{ module: 'github.com/a/b', versions: '< 1.2.3', reason: 'x' }] } }, /invalid setting policy\.deny\.0\.versions = "< 1\.2\.3": malformed version range/],
    [{ policy: { deny: [{ module: 'github.com/a/b' }] } }, /policy\.deny\.0\.reason = missing: required/],
    [{ policy: { deny: [{ module: 'github.com/[', reason: 'x' }] } }, /policy\.deny\.0\.module.*malformed pattern/],
    [{ policy: { allow: [] } }, /policy\.allow \(GOMODPROXY_POLICY_ALLOW\) = \[\]: allowed: at least one pattern/],
    [{ trustedProxies: ['10.0.0.0/33'] }, /trustedProxies\.0 = "10\.0\.0\.0\/33": allowed: an IP address or a CIDR block/],
    [{ audit: { storage: 'yes' } }, /audit\.storage \(GOMODPROXY_AUDIT_STORAGE\) = "yes"/],
  ])('refuses %j with one line naming it', (settings, message) => {
    expect(() => resolveConfig(settings)).toThrow(ConfigError);
    expect(() => resolveConfig(settings)).toThrow(message);
  });

  it('takes a range or a list of versions', () => {
    const config = resolveConfig({
      policy: { deny: [{ module: 'github.com/a/b', versions: ['v1.0.0', '>=v2.0.0 <v2.1.0'], reason: 'x' }], allow: 'github.com/a,github.com/c' },
      trustedProxies: ['10.0.0.0/8', '::1'],
    });
    expect(config.policy.allow).toEqual(['github.com/a', 'github.com/c']);
    expect(config.audit).toEqual({ log: true, storage: false, flushEvery: 10_000 });
  });
});
