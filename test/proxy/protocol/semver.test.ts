import { describe, expect, it } from 'vitest';
import {
  canonicalSemver,
  canonicalVersion,
  compareSemver,
  isCanonicalVersion,
  isValidSemver,
  maxVersion,
  semverBuild,
  semverMajor,
  semverMajorMinor,
  semverPrerelease,
  sortBySemver,
  sortVersions,
} from '../../../proxy/protocol/index.ts';

// x/mod's semver_test.go table: [input, canonical form ("" when invalid)], in increasing order
// of precedence; rows with equal canonical forms have equal precedence.
const ordered: Array<[string, string]> = [
  ['bad', ''],
  ['v1-alpha.beta.gamma', ''],
  ['v1-pre', ''],
  ['v1+meta', ''],
  ['v1-pre+meta', ''],
  ['v1.2-pre', ''],
  ['v1.2+meta', ''],
  ['v1.2-pre+meta', ''],
  ['v1.0.0-alpha', 'v1.0.0-alpha'],
  ['v1.0.0-alpha.1', 'v1.0.0-alpha.1'],
  ['v1.0.0-alpha.beta', 'v1.0.0-alpha.beta'],
  ['v1.0.0-beta', 'v1.0.0-beta'],
  ['v1.0.0-beta.2', 'v1.0.0-beta.2'],
  ['v1.0.0-beta.11', 'v1.0.0-beta.11'],
  ['v1.0.0-rc.1', 'v1.0.0-rc.1'],
  ['v1', 'v1.0.0'],
  ['v1.0', 'v1.0.0'],
  ['v1.0.0', 'v1.0.0'],
  ['v1.2', 'v1.2.0'],
  ['v1.2.0', 'v1.2.0'],
  ['v1.2.3-456', 'v1.2.3-456'],
  ['v1.2.3-456.789', 'v1.2.3-456.789'],
  ['v1.2.3-456-789', 'v1.2.3-456-789'],
  ['v1.2.3-456a', 'v1.2.3-456a'],
  ['v1.2.3-pre', 'v1.2.3-pre'],
  ['v1.2.3-pre+meta', 'v1.2.3-pre'],
  ['v1.2.3-pre.1', 'v1.2.3-pre.1'],
  ['v1.2.3-zzz', 'v1.2.3-zzz'],
  ['v1.2.3', 'v1.2.3'],
  ['v1.2.3+meta', 'v1.2.3'],
  ['v1.2.3+meta-pre', 'v1.2.3'],
  ['v1.2.3+meta-pre.sha.256a', 'v1.2.3'],
];

// Further invalid strings: no "v", leading zeros, empty identifiers, stray characters.
const invalid = [
  '',
  'v',
  '1.2.3',
  'V1.2.3',
  'v01.2.3',
  'v1.02.3',
  'v1.2.03',
  'v1.2.3-01',
  'v1.2.3-pre..1',
  'v1.2.3-',
  'v1.2.3+',
  'v1.2.3+meta+more',
  'v1.2.3-pre_1',
  'v1.2.3.4',
  'v1.2.3 ',
  'v1..2',
  'v1.',
  'v-1',
];

describe('isValidSemver and canonicalSemver', () => {
  it.each(ordered)('%j -> %j', (v, canonical) => {
    expect(isValidSemver(v)).toBe(canonical !== '');
    expect(canonicalSemver(v)).toBe(canonical);
  });

  it.each(invalid)('%j is invalid', (v) => {
    expect(isValidSemver(v)).toBe(false);
    expect(canonicalSemver(v)).toBe('');
  });

  it.each([
    ['v0.0.0', 'v0.0.0'],
    ['v1.2.3-0', 'v1.2.3-0'],
    ['v1.2.3-0a', 'v1.2.3-0a'],
    ['v1.2.3-pre.00a', 'v1.2.3-pre.00a'],
    ['v2.0.0+incompatible', 'v2.0.0'],
    ['v123456789012345678901234567890.0.0', 'v123456789012345678901234567890.0.0'],
  ])('%j -> %j', (v, canonical) => {
    expect(canonicalSemver(v)).toBe(canonical);
  });
});

describe('semverMajor, semverMajorMinor, semverPrerelease, semverBuild', () => {
  it.each([
    ['v1.2.3-pre+meta', 'v1', 'v1.2', '-pre', '+meta'],
    ['v2.1.0', 'v2', 'v2.1', '', ''],
    ['v2', 'v2', 'v2.0', '', ''],
    ['v2.5', 'v2', 'v2.5', '', ''],
    ['v0.0.0-20060102150405-abcdef123456', 'v0', 'v0.0', '-20060102150405-abcdef123456', ''],
    ['v3.0.0+incompatible', 'v3', 'v3.0', '', '+incompatible'],
    ['v1.2.3+meta-pre.sha.256a', 'v1', 'v1.2', '', '+meta-pre.sha.256a'],
    ['bad', '', '', '', ''],
    ['v1.2-pre', '', '', '', ''],
  ])('%j: major %j, major.minor %j, prerelease %j, build %j', (v, major, majorMinor, prerelease, build) => {
    expect(semverMajor(v)).toBe(major);
    expect(semverMajorMinor(v)).toBe(majorMinor);
    expect(semverPrerelease(v)).toBe(prerelease);
    expect(semverBuild(v)).toBe(build);
  });
});

describe('compareSemver', () => {
  it('orders the whole table as x/mod does', () => {
    ordered.forEach(([a, ca], i) => {
      ordered.forEach(([b, cb], j) => {
        const want = ca === cb ? 0 : i < j ? -1 : 1;
        expect(compareSemver(a, b), `compareSemver(${a}, ${b})`).toBe(want);
      });
    });
  });

  it.each([
    ['v1', 'v1', 0],
    ['v2', 'v1', 1],
    ['v1', 'v2', -1],
    ['v1.19', 'v1.2', 1],
    ['v1.2', 'v1.19', -1],
    ['v1.10.0', 'v1.9.0', 1],
    ['v1.0.0-alpha.10', 'v1.0.0-alpha.9', 1],
    ['v1.0.0-alpha.10', 'v1.0.0-alpha.a', -1],
    ['v1.0.0-2', 'v1.0.0-10', -1],
    ['v1.0.0-a', 'v1.0.0-B', 1], // ASCII order: upper case first
    ['v1.0.0+a', 'v1.0.0+b', 0],
    ['v2.0.0+incompatible', 'v2.0.0', 0],
    ['v99999999999999999999.0.0', 'v99999999999999999998.0.0', 1],
    ['', 'bad', 0],
    ['bad', 'v0.0.0', -1],
    ['v0.0.0', '', 1],
  ])('compareSemver(%j, %j) = %d', (a, b, want) => {
    expect(compareSemver(a, b)).toBe(want);
  });
});

describe('sortVersions', () => {
  it('sorts any shuffle of the table into an order compareSemver agrees with, ties by string', () => {
    const versions = ordered.map(([v]) => v);
    for (let seed = 1; seed <= 20; seed++) {
      const shuffled = [...versions].sort((a, b) => hash(a, seed) - hash(b, seed));
      const sorted = sortVersions(shuffled);
      for (let i = 1; i < sorted.length; i++) {
        const [prev, next] = [sorted[i - 1] ?? '', sorted[i] ?? ''];
        const c = compareSemver(prev, next);
        expect(c < 0 || (c === 0 && prev < next), `${prev} before ${next}`).toBe(true);
      }
    }
  });

  it('puts a proxy list in semver order without changing its argument', () => {
    const list = ['v1.10.0', 'v1.2.0', 'v1.2.0-rc.1', 'v2.0.0+incompatible', 'v1.9.9', 'v0.1.0', 'v1.2.0-beta'];
    const copy = [...list];
    expect(sortVersions(list)).toEqual(['v0.1.0', 'v1.2.0-beta', 'v1.2.0-rc.1', 'v1.2.0', 'v1.9.9', 'v1.10.0', 'v2.0.0+incompatible']);
    expect(list).toEqual(copy);
  });
});

describe('maxVersion', () => {
  it.each([
    ['v1.2.3', 'v1.10.0', 'v1.10.0'],
    ['v1.10.0', 'v1.2.3', 'v1.10.0'],
    ['v1.0.0-rc.1', 'v1.0.0', 'v1.0.0'],
    ['bad', 'v0.0.1', 'v0.0.1'],
    ['v1.2', 'v1.2.0', 'v1.2'],
  ])('maxVersion(%j, %j) = %j', (a, b, want) => {
    expect(maxVersion(a, b)).toBe(want);
  });
});

describe('canonicalVersion and isCanonicalVersion', () => {
  it.each([
    ['v1.2.3', 'v1.2.3', true],
    ['v1.2.3-pre.1', 'v1.2.3-pre.1', true],
    ['v2.0.0+incompatible', 'v2.0.0+incompatible', true],
    ['v2.0.0-rc.1+incompatible', 'v2.0.0-rc.1+incompatible', true],
    ['v0.0.0-20060102150405-abcdef123456', 'v0.0.0-20060102150405-abcdef123456', true],
    ['v1.2', 'v1.2.0', false],
    ['v1', 'v1.0.0', false],
    ['v1.2.3+meta', 'v1.2.3', false],
    ['v2+incompatible', '', false],
    ['v2.0.0+incompatible.1', 'v2.0.0', false],
    ['1.2.3', '', false],
    ['', '', false],
    ['latest', '', false],
  ])('%j: canonical %j, canonical as written: %s', (v, canonical, isCanonical) => {
    expect(canonicalVersion(v)).toBe(canonical);
    expect(isCanonicalVersion(v)).toBe(isCanonical);
  });
});

/** A cheap deterministic shuffle key. */
function hash(s: string, seed: number): number {
  let h = seed;
  for (const ch of s) h = (h * 31 + (ch.codePointAt(0) ?? 0)) % 1_000_003;
  return h;
}

describe('sortBySemver', () => {
  it('orders items as a sort by compareSemver does, ties in their order, parsing each version once', () => {
    const versions = ordered.map(([v]) => v);
    for (let seed = 1; seed <= 20; seed++) {
      const items = [...versions].sort((a, b) => hash(a, seed) - hash(b, seed)).map((version, at) => ({ version, at }));
      const expected = [...items].sort((a, b) => compareSemver(a.version, b.version));
      let parses = 0;
      const sorted = sortBySemver(items, (item) => (parses++, item.version));
      expect(sorted).toBe(items);
      expect(sorted).toEqual(expected);
      expect(parses).toBe(items.length);
    }
  });
});
