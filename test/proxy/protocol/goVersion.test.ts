// Go language versions: each case is also given to Go's own go/version (Lang and Compare).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareLanguageVersion, languageVersion, supportsGraphPruning } from '../../../proxy/protocol/index.ts';
import { goLanguageVersions, makeGoSandbox, type GoSandbox } from './goCommand.ts';

// [Go version, its language version ('' when it is not a Go version)]
const versions: Array<[string, string]> = [
  ['1.21.3', '1.21'],
  ['1.21', '1.21'],
  ['1.21rc1', '1.21'],
  ['1.21.0', '1.21'],
  ['1.24', '1.24'],
  ['1.100', '1.100'],
  ['1', '1'],
  ['1.0', '1'],
  ['2.1', '2.1'],
  ['2', '2.0'],
  ['1.21.x', ''],
  ['1.024', ''],
  ['01.21', ''],
  ['v1.21', ''],
  ['', ''],
];

// [a, b, sign of comparing their language versions]
const comparisons: Array<[string, string, number]> = [
  ['1.23', '1.24', -1],
  ['1.24', '1.24', 0],
  ['1.100', '1.24', 1],
  ['1.9', '1.24', -1],
  ['1', '1.24', -1],
  ['2', '1.24', 1],
  ['', '1.24', -1],
  ['', '', 0],
];

// [go line (undefined: none), whether the graph below it is pruned]; what the go command does with
// these is in test/e2e/prefetchGraph.test.ts.
const pruning: Array<[string | undefined, boolean]> = [
  [undefined, false],
  ['1.16', false],
  ['1.16.15', false],
  ['1.17', true],
  ['1.17rc1', true],
  ['1.21.0', true],
  ['1.100', true],
  ['2', true],
  ['1.24.x', true],
  ['1.9', false],
  ['', false],
  ['junk', false],
];

describe('supportsGraphPruning', () => {
  it.each(pruning)('go %j: %j', (goLine, pruned) => {
    expect(supportsGraphPruning(goLine)).toBe(pruned);
  });
});

describe('languageVersion and compareLanguageVersion', () => {
  it.each(versions)('%j is language version %j', (version, lang) => {
    expect(languageVersion(version)).toBe(lang);
  });

  it.each(comparisons)('%j against %j: %i', (a, b, sign) => {
    expect(Math.sign(compareLanguageVersion(a, b))).toBe(sign);
  });

  describe('go/version agrees', () => {
    let sandbox: GoSandbox | undefined;
    beforeAll(async () => {
      sandbox = await makeGoSandbox();
    });
    afterAll(async () => {
      await sandbox?.dispose();
    });

    it('on every case', async () => {
      const cases: Array<[string, string]> = [
        ...versions.map(([version]): [string, string] => [version, '1.24']),
        ...comparisons.map(([a, b]): [string, string] => [a, b]),
      ];
      const go = await goLanguageVersions(sandbox!, cases);
      cases.forEach(([a, b], i) => {
        const [goLang, goSign] = go[i]!;
        expect(languageVersion(a), `Lang(${a})`).toBe(goLang);
        expect(Math.sign(compareLanguageVersion(languageVersion(a), languageVersion(b))), `Compare(${a}, ${b})`).toBe(goSign);
      });
    });
  });
});
