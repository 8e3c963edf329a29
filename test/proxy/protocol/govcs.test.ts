// GOVCS (`go help vcs`): pattern:vcslist rules, first match decides.
import { describe, expect, it } from 'vitest';
import { govcsAllows, parseGovcs } from '../../../proxy/protocol/index.ts';

describe('GOVCS', () => {
  const cases: Array<[string, string, boolean | null]> = [
    ['*:git', 'example.com/x', true],
    ['*:off', 'example.com/x', false],
    ['github.com:git,evil.com:off,*:git|hg', 'evil.com/x', false],
    ['github.com:git,evil.com:off,*:git|hg', 'github.com/a/b', true],
    ['github.com:git,evil.com:off,*:git|hg', 'other.org/a', true],
    ['*.corp.example:all', 'git.corp.example/x', true],
    ['public:off', 'example.com/x', false],
    ['private:off', 'example.com/x', null],
    ['github.com:hg', 'github.com/a/b', false],
    ['github.com:git', 'gitlab.com/a/b', null],
  ];
  it.each(cases)('%s for %s with git: %s', (value, path, allowed) => {
    expect(govcsAllows(parseGovcs(value), path, 'git')).toBe(allowed);
  });

  it.each([
    ['github.com', /missing colon/],
    ['github.com:', /empty VCS list/],
    ['a.com:git,a.com:off', /unreachable pattern/],
    ['a.com:git|off', /must stand alone/],
    ['a.com/[x:git', /malformed/],
  ])('refuses %s', (value, message) => {
    expect(() => parseGovcs(value)).toThrow(message);
  });
});
