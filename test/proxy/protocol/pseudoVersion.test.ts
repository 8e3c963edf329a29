import { describe, expect, it } from 'vitest';
import {
  InvalidVersionError,
  checkPseudoVersion,
  compareSemver,
  isPseudoVersion,
  isZeroPseudoVersion,
  makePseudoVersion,
  pseudoVersionBase,
  pseudoVersionDate,
  pseudoVersionRev,
  pseudoVersionTime,
  zeroPseudoVersion,
} from '../../../proxy/protocol/index.ts';

const commitTime = new Date(Date.UTC(2006, 0, 2, 15, 4, 5));

// x/mod's pseudo_test.go table: [major, latest earlier tag, pseudo-version of a commit made at
// 2006-01-02 15:04:05 UTC with revision "hash"]. The tag is also what pseudoVersionBase returns.
const pseudoVersions: Array<[string, string, string]> = [
  ['', '', 'v0.0.0-20060102150405-hash'],
  ['v0', '', 'v0.0.0-20060102150405-hash'],
  ['v1', '', 'v1.0.0-20060102150405-hash'],
  ['v2', '', 'v2.0.0-20060102150405-hash'],
  ['unused', 'v0.0.0', 'v0.0.1-0.20060102150405-hash'],
  ['unused', 'v1.2.3', 'v1.2.4-0.20060102150405-hash'],
  ['unused', 'v1.2.99999999999999999', 'v1.2.100000000000000000-0.20060102150405-hash'],
  ['unused', 'v1.2.3-pre', 'v1.2.3-pre.0.20060102150405-hash'],
  ['unused', 'v1.3.0-pre', 'v1.3.0-pre.0.20060102150405-hash'],
  ['unused', 'v0.0.0--', 'v0.0.0--.0.20060102150405-hash'],
  ['unused', 'v1.0.0+metadata', 'v1.0.1-0.20060102150405-hash+metadata'],
  ['unused', 'v2.0.0+incompatible', 'v2.0.1-0.20060102150405-hash+incompatible'],
  ['unused', 'v2.3.0-pre+incompatible', 'v2.3.0-pre.0.20060102150405-hash+incompatible'],
  ['unused', 'v1.9.9', 'v1.9.10-0.20060102150405-hash'],
];

describe('makePseudoVersion', () => {
  it.each(pseudoVersions)('major %j, tag %j -> %j', (major, older, pseudo) => {
    expect(makePseudoVersion(major, older, commitTime, 'hash')).toBe(pseudo);
  });

  it('writes the time in UTC', () => {
    const time = new Date('2019-03-04T01:02:03+05:00');
    expect(makePseudoVersion('v1', '', time, 'abcdef123456')).toBe('v1.0.0-20190303200203-abcdef123456');
  });

  it('sorts a pseudo-version after its base tag and before the next tags', () => {
    for (const [, older, pseudo] of pseudoVersions) {
      if (older === '') continue;
      expect(compareSemver(older, pseudo), `${older} < ${pseudo}`).toBe(-1);
    }
    expect(compareSemver('v1.2.4-0.20060102150405-hash', 'v1.2.4-rc1')).toBe(-1);
    expect(compareSemver('v1.2.4-0.20060102150405-hash', 'v1.2.4-1')).toBe(-1);
    expect(compareSemver('v1.2.4-0.20060102150405-hash', 'v1.2.4-0.20060102150406-hash')).toBe(-1);
  });
});

describe('isPseudoVersion, pseudoVersionTime, pseudoVersionRev, pseudoVersionBase', () => {
  it.each(pseudoVersions)('major %j, tag %j: %j is a pseudo-version', (_major, older, pseudo) => {
    expect(isPseudoVersion(pseudo)).toBe(true);
    expect(pseudoVersionTime(pseudo)).toBe('20060102150405');
    expect(pseudoVersionDate(pseudo)).toEqual(commitTime);
    expect(pseudoVersionRev(pseudo)).toBe('hash');
    expect(pseudoVersionBase(pseudo)).toBe(older);
  });

  it.each(pseudoVersions.map(([, older]) => older).filter((v) => v !== ''))('tag %j is not a pseudo-version', (older) => {
    expect(isPseudoVersion(older)).toBe(false);
    expect(() => pseudoVersionTime(older)).toThrow(InvalidVersionError);
    expect(() => pseudoVersionRev(older)).toThrow(InvalidVersionError);
  });

  it.each([
    ['v1.5.0', false],
    ['v1.5.0-rc.1', false],
    ['v0.0.0-2006010215040-abcdef123456', false], // 13-digit time
    ['v0.0.0-200601021504055-abcdef123456', false], // 15-digit time
    ['v0.0.0-20060102150405-', false],
    ['v0.0.0-20060102150405-abc_def', false],
    ['v1.2.3-20060102150405-abcdef123456', false], // form 1 needs X.0.0
    ['v1.2.3-1.20060102150405-abcdef123456', false], // forms 2 and 3 need ".0." before the time
    ['v1.2.3-pre.20060102150405-abcdef123456', false],
    ['v01.0.0-20060102150405-abcdef123456', false], // not semver
    ['---', false],
    ['v0.0.0-20060102150405-abcdef123456', true],
    ['v2.0.0-20060102150405-abcdef123456', true],
    ['v1.2.4-0.20060102150405-abcdef123456', true],
    ['v1.2.3-rc.1.0.20060102150405-abcdef123456', true],
    ['v1.2.4-0.20060102150405-abcdef123456+incompatible', true],
  ])('isPseudoVersion(%j) = %s', (v, want) => {
    expect(isPseudoVersion(v)).toBe(want);
  });

  // x/mod's TestInvalidPseudoVersionBase.
  it.each([
    ['v0.0.0', 'syntax error'],
    ['v0.0.0-', 'syntax error'],
    ['v0.0.0-0.20060102150405-hash', 'version before v0.0.0 would have negative patch number'],
    ['v0.1.0-0.20060102150405-hash', 'version before v0.1.0 would have negative patch number'],
    ['v1.0.0-0.20060102150405-hash', 'version before v1.0.0 would have negative patch number'],
    ['v0.0.0-20060102150405-hash+incompatible', 'lacks base version, but has build metadata "+incompatible"'],
    ['v0.0.0-20060102150405-hash+metadata', 'lacks base version, but has build metadata "+metadata"'],
  ])('pseudoVersionBase(%j) fails: %s', (v, reason) => {
    expect(() => pseudoVersionBase(v)).toThrow(InvalidVersionError);
    expect(() => pseudoVersionBase(v)).toThrow(`invalid pseudo-version ${JSON.stringify(v)}: ${reason}`);
  });
});

describe('checkPseudoVersion', () => {
  it.each([
    'v0.0.0-20060102150405-abcdef123456',
    'v1.2.4-0.20200229235959-abcdef123456', // a leap day
    'v1.2.3-pre.0.00000101000000-abcdef123456',
    'v2.0.1-0.20060102150405-abcdef123456+incompatible',
  ])('%j is well formed', (v) => {
    expect(() => checkPseudoVersion(v)).not.toThrow();
  });

  it.each([
    ['v0.0.0-20061302150405-abcdef123456', 'malformed time "20061302150405"'],
    ['v0.0.0-20190229000000-abcdef123456', 'malformed time "20190229000000"'],
    ['v0.0.0-20060102240000-abcdef123456', 'malformed time "20060102240000"'],
    ['v0.0.0-20060102150460-abcdef123456', 'malformed time "20060102150460"'],
    ['v1.0.0-0.20060102150405-abcdef123456', 'would have negative patch number'],
    ['v1.0.0', 'syntax error'],
  ])('%j fails: %s', (v, reason) => {
    expect(() => checkPseudoVersion(v)).toThrow(InvalidVersionError);
    expect(() => checkPseudoVersion(v)).toThrow(reason);
  });
});

describe('zeroPseudoVersion and isZeroPseudoVersion', () => {
  it.each([
    ['', 'v0.0.0-00010101000000-000000000000'],
    ['v0', 'v0.0.0-00010101000000-000000000000'],
    ['v1', 'v1.0.0-00010101000000-000000000000'],
    ['v2', 'v2.0.0-00010101000000-000000000000'],
  ])('zeroPseudoVersion(%j) = %j', (major, zero) => {
    expect(zeroPseudoVersion(major)).toBe(zero);
    expect(isZeroPseudoVersion(zero)).toBe(true);
    expect(pseudoVersionDate(zero).toISOString()).toBe('0001-01-01T00:00:00.000Z');
  });

  it.each(['v0.0.0-00010101000000-000000000001', 'v0.0.0', 'bad', 'v1.0.1-0.00010101000000-000000000000'])('%j is not a zero pseudo-version', (v) => {
    expect(isZeroPseudoVersion(v)).toBe(false);
  });
});
