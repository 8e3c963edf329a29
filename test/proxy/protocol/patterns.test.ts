import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPatterns, matchGlob, matchPrefixPatterns, prefixPatternMatcher } from '../../../proxy/protocol/index.ts';
import { goPathMatch, makeGoSandbox, type GoSandbox } from './goCommand.ts';

describe('matchPrefixPatterns', () => {
  // x/mod's TestMatchPrefixPatterns, then the cases of `go help private` and this project.
  it.each([
    ['', 'rsc.io/quote', false],
    ['/', 'rsc.io/quote', false],
    ['*/quote', 'rsc.io/quote', true],
    ['*/quo', 'rsc.io/quote', false],
    ['*/quo??', 'rsc.io/quote', true],
    ['*/quo*', 'rsc.io/quote', true],
    ['*quo*', 'rsc.io/quote', false],
    ['rsc.io', 'rsc.io/quote', true],
    ['*.io', 'rsc.io/quote', true],
    ['rsc.io/', 'rsc.io/quote', true],
    ['rsc', 'rsc.io/quote', false],
    ['rsc*', 'rsc.io/quote', true],

    ['rsc.io', 'rsc.io/quote/v3', true],
    ['*/quote', 'rsc.io/quote/v3', true],
    ['*/quote/', 'rsc.io/quote/v3', true],
    ['*/quote/*', 'rsc.io/quote/v3', true],
    ['*/quote/*/', 'rsc.io/quote/v3', true],
    ['*/v3', 'rsc.io/quote/v3', false],
    ['*/*/v3', 'rsc.io/quote/v3', true],
    ['*/*/*', 'rsc.io/quote/v3', true],
    ['*/*/*/', 'rsc.io/quote/v3', true],
    ['*/*/*', 'rsc.io/quote', false],
    ['*/*/*/', 'rsc.io/quote', false],

    ['*/*/*,,', 'rsc.io/quote', false],
    ['*/*/*,,*/quote', 'rsc.io/quote', true],
    [',,*/quote', 'rsc.io/quote', true],

    ['*.corp.example', 'git.corp.example/x/y', true],
    ['*.corp.example', 'corp.example/x', false],
    ['*.corp.example,rsc.io/private', 'rsc.io/private/quux', true],
    ['*.corp.example,rsc.io/private', 'rsc.io/public', false],
    ['example.com/private', 'example.com/private', true],
    ['example.com/private', 'example.com/private/x', true],
    ['example.com/private', 'example.com/privateX', false],
    ['example.com/private', 'example.com', false],
    ['git.corp.example', 'git.corp.example', true],
    ['git.corp.example', 'git.corp.example.evil.com/x', false],
    ['git.corp.example/*', 'git.corp.example/team/repo', true],
    ['git.corp.example/*', 'git.corp.example', false],
    ['git.corp.example/team-[ab]', 'git.corp.example/team-b/repo', true],
    ['git.corp.example/team-[ab]', 'git.corp.example/team-c/repo', false],
    ['git.corp.example/team-[^ab]', 'git.corp.example/team-c/repo', true],
    // Malformed globs match nothing (the go command skips them) but do not hide the others.
    ['[', 'rsc.io/quote', false],
    ['[,rsc.io', 'rsc.io/quote', true],
    ['rsc.io\\', 'rsc.io', false],
    // Entries are not trimmed, as with the go command.
    [' rsc.io', 'rsc.io/quote', false],
  ])('%j matches %j: %s', (globs, target, want) => {
    expect(matchPrefixPatterns(globs, target)).toBe(want);
    expect(prefixPatternMatcher(globs)(target)).toBe(want);
  });

  it('takes a list of comma-separated lists', () => {
    expect(matchPrefixPatterns(['*.corp.example', 'rsc.io/private,golang.org/x'], 'golang.org/x/text')).toBe(true);
    expect(matchPrefixPatterns(['*.corp.example', 'rsc.io/private'], 'golang.org/x/text')).toBe(false);
    expect(matchPrefixPatterns([], 'golang.org/x/text')).toBe(false);
  });
});

// [pattern, name, matches]; null when the pattern is malformed. Go's path/match_test.go table,
// restated, and a few more.
const globs: Array<[string, string, boolean | null]> = [
  ['abc', 'abc', true],
  ['*', 'abc', true],
  ['*c', 'abc', true],
  ['a*', 'a', true],
  ['a*', 'abc', true],
  ['a*', 'ab/c', false],
  ['a*/b', 'abc/b', true],
  ['a*/b', 'a/c/b', false],
  ['a*b*c*d*e*/f', 'axbxcxdxe/f', true],
  ['a*b*c*d*e*/f', 'axbxcxdxexxx/f', true],
  ['a*b*c*d*e*/f', 'axbxcxdxe/xxx/f', false],
  ['a*b*c*d*e*/f', 'axbxcxdxexxx/fff', false],
  ['a*b?c*x', 'abxbbxdbxebxczzx', true],
  ['a*b?c*x', 'abxbbxdbxebxczzy', false],
  ['ab[c]', 'abc', true],
  ['ab[b-d]', 'abc', true],
  ['ab[e-g]', 'abc', false],
  ['ab[^c]', 'abc', false],
  ['ab[^b-d]', 'abc', false],
  ['ab[^e-g]', 'abc', true],
  ['a\\*b', 'a*b', true],
  ['a\\*b', 'ab', false],
  ['a?b', 'a☺b', true],
  ['a[^a]b', 'a☺b', true],
  ['a???b', 'a☺b', false],
  ['a[^a][^a][^a]b', 'a☺b', false],
  ['[a-ζ]*', 'α', true],
  ['*[a-ζ]', 'A', false],
  ['a?b', 'a/b', false],
  ['a*b', 'a/b', false],
  ['[\\]a]', ']', true],
  ['[\\-]', '-', true],
  ['[x\\-]', 'x', true],
  ['[x\\-]', '-', true],
  ['[x\\-]', 'z', false],
  ['[\\-x]', 'x', true],
  ['[\\-x]', '-', true],
  ['[\\-x]', 'a', false],
  ['[]a]', ']', null],
  ['[-]', '-', null],
  ['[x-]', 'x', null],
  ['[x-]', '-', null],
  ['[x-]', 'z', null],
  ['[-x]', 'x', null],
  ['[-x]', '-', null],
  ['[-x]', 'a', null],
  ['\\', 'a', null],
  ['[a-b-c]', 'a', null],
  ['[', 'a', null],
  ['[^', 'a', null],
  ['[^bc', 'a', null],
  ['a[', 'a', null],
  ['a[', 'ab', null],
  ['a[', 'x', null],
  ['a/b[', 'x', null],
  ['*x', 'xxx', true],
  // More: classes may match '/', '?' and '*' may not; a '*' inside a class is literal.
  ['a[/]b', 'a/b', true],
  ['a[^x]b', 'a/b', true],
  ['a[*]b', 'a*b', true],
  ['a[*]b', 'axb', false],
  ['', '', true],
  ['', 'a', false],
  ['**', 'abc', true],
  ['[]', 'a', null],
  ['[^]', 'a', null],
];

describe('matchGlob (path.Match)', () => {
  it.each(globs)('%j against %j: %s', (pattern, name, want) => {
    if (want === null) expect(() => matchGlob(pattern, name)).toThrow(`malformed pattern ${JSON.stringify(pattern)}`);
    else expect(matchGlob(pattern, name)).toBe(want);
  });
});

describe('checkPatterns', () => {
  it.each([
    '',
    '*.corp.example',
    '*.corp.example,rsc.io/private',
    'git.corp.example/team-[a-c]/*',
    'a\\*b',
    ',,',
  ])('%j is well formed', (list) => {
    expect(() => checkPatterns(list)).not.toThrow();
    expect(() => checkPatterns([list])).not.toThrow();
  });

  it.each([
    ['[', 'malformed pattern "[": unterminated character class'],
    ['git.corp.example,[', 'malformed pattern "[": unterminated character class'],
    ['a\\', 'malformed pattern "a\\\\": trailing backslash'],
    ['[]a]', `malformed pattern "[]a]": unexpected "]" in character class`],
    ['[z-]', 'malformed pattern "[z-]"'],
    [' rsc.io', 'malformed pattern " rsc.io": leading or trailing white space'],
    ['rsc.io ,x.y', 'malformed pattern "rsc.io "'],
  ])('%j is rejected: %s', (list, message) => {
    expect(() => checkPatterns(list)).toThrow(message);
  });

  it('checks every list of a list of lists', () => {
    expect(() => checkPatterns(['*.corp.example', 'x.y/[a'])).toThrow('malformed pattern "x.y/[a"');
  });
});

describe("Go's path.Match agrees", () => {
  let sandbox: GoSandbox | undefined;
  beforeAll(async () => {
    sandbox = await makeGoSandbox();
  });
  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('on every case of the glob table', async () => {
    if (!sandbox) throw new Error('no sandbox');
    const cases = globs.map(([pattern, name]): [string, string] => [pattern, name]);
    const theirs = await goPathMatch(sandbox, cases);
    const ours = cases.map(([pattern, name]) => {
      try {
        return matchGlob(pattern, name);
      } catch {
        return null;
      }
    });
    expect(ours).toEqual(theirs);
  });
});
