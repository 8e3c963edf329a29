// Access rules: the first matching rule decides, `default` otherwise; allow lists name users,
// groups, authenticated and anonymous; patterns match without regard to case.
import { describe, expect, it } from 'vitest';
import { AccessRules, ANONYMOUS, type Identity } from '../../../proxy/access/index.ts';

const alice: Identity = { name: 'alice', groups: new Set(['team-a']) };
const bob: Identity = { name: 'bob', groups: new Set() };

describe('AccessRules', () => {
  const rules = new AccessRules(
    [
      { modules: ['github.com/acme/secret/public-part'], allow: ['anonymous'] },
      { modules: ['github.com/acme/secret', 'git.corp.example/team-a/*'], allow: ['team-a'] },
      { modules: ['git.corp.example'], allow: ['authenticated'] },
      { modules: ['github.com/acme/closed'], allow: [] },
    ],
    ['anonymous'],
  );

  it.each([
    ['github.com/acme/base', ANONYMOUS, true],
    ['github.com/acme/secret', ANONYMOUS, false],
    ['github.com/acme/secret', bob, false],
    ['github.com/acme/secret', alice, true],
    ['github.com/acme/secret/v2', alice, true],
    ['github.com/acme/secret/v2', bob, false],
    ['github.com/Acme/SECRET', bob, false],
    ['github.com/acme/secretive', bob, true],
    ['github.com/acme/secret/public-part', ANONYMOUS, true],
    ['git.corp.example/team-a/lib', alice, true],
    ['git.corp.example/team-a/lib', bob, false],
    ['git.corp.example/team-b/lib', bob, true],
    ['git.corp.example/team-b/lib', ANONYMOUS, false],
    ['github.com/acme/closed', alice, false],
  ] as Array<[string, Identity, boolean]>)('%s for %o: %s', (module, identity, want) => {
    expect(rules.mayRead(identity, module)).toBe(want);
  });

  it('random module paths never throw and fall to a rule or the default', () => {
    const alphabet = 'abcACME./-_~!*?[]\\ü';
    for (let i = 0; i < 5000; i++) {
      let module = '';
      for (let n = 0; n < (i % 40) + 1; n++) module += alphabet[(i * 7 + n * 13) % alphabet.length];
      expect(typeof rules.mayRead(bob, module)).toBe('boolean');
    }
  });
});
