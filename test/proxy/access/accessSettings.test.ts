// The access settings as the schema reads them, and the defaults a review expects: without auth
// everyone is anonymous and may read; with auth, anonymous clients read only what a rule gives them.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from '../../../proxy/config.ts';
import { ANONYMOUS, createAccessControl } from '../../../proxy/access/index.ts';

const silent = pino({ level: 'silent' });
const alice = { name: 'alice', groups: new Set<string>() };

describe('access settings', () => {
  it('a list of rules and { rules, default } are the same setting', () => {
    const rule = { modules: ['github.com/acme/*'], allow: ['team-a'] };
    expect(resolveConfig({ access: [rule] }).access).toEqual({ rules: [rule] });
    expect(resolveConfig({ access: { rules: [rule], default: ['anonymous'] } }).access).toEqual({ rules: [rule], default: ['anonymous'] });
  });

  it.each([
    [{ access: [{ modules: ['a.example'], allow: ['two words'] }] }, /access\.rules\.0\.allow\.0 .*allowed: a user, token or group name/],
    [{ access: [{ modules: ['a.example[/*'], allow: [] }] }, /malformed pattern/],
    [{ access: [{ modules: ['a.example'] }] }, /access\.rules\.0\.allow/],
    [{ auth: { tokens: [{ name: 'ci', sha256: 'inline-secret' }] } }, /auth\.tokens\.0\.sha256 .*env:NAME/],
    [{ auth: { realm: 'a"b' } }, /auth\.realm/],
    [{ tls: { certFile: '/c.pem' } }, /tls\.keyFile/],
  ])('%j is refused', (settings, message) => {
    expect(() => resolveConfig(settings)).toThrow(ConfigError);
    expect(() => resolveConfig(settings)).toThrow(message);
  });

  it('without auth, everyone is anonymous and the default lets them read', () => {
    const access = createAccessControl(resolveConfig({ access: [{ modules: ['git.corp.example'], allow: ['team-a'] }] }), silent);
    expect(access.identities).toBeNull();
    expect(access.rules.mayRead(ANONYMOUS, 'github.com/acme/base')).toBe(true);
    expect(access.rules.mayRead(ANONYMOUS, 'git.corp.example/x')).toBe(false);
    access.close();
  });

  it('with auth, the default is [authenticated], and /metrics follows it unless auth.metrics says otherwise', () => {
    const access = createAccessControl(resolveConfig({ auth: {} }), silent);
    expect(access.rules.mayRead(ANONYMOUS, 'github.com/acme/base')).toBe(false);
    expect(access.rules.mayRead(alice, 'github.com/acme/base')).toBe(true);
    expect(access.metricsAllow).toEqual(['authenticated']);
    expect(createAccessControl(resolveConfig({ auth: { metrics: ['ops'] } }), silent).metricsAllow).toEqual(['ops']);
    access.close();
  });
});
