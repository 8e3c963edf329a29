import { describe, expect, it } from 'vitest';
import { parseVersionRange, versionInRange } from '../../../proxy/protocol/index.ts';

// [range, versions in it, versions not in it]
const cases: Array<[string, string[], string[]]> = [
  ['v1.2.3', ['v1.2.3', '=v1.2.3'.slice(1), 'v1.2.3+meta'], ['v1.2.4', 'v1.2.3-rc.1']],
  ['=v1.2.3', ['v1.2.3'], ['v1.2.2']],
  ['<v1.2.3', ['v1.2.2', 'v0.1.0', 'v1.2.3-rc.1', 'v1.2.3-0.20240101000000-abcdefabcdef'], ['v1.2.3', 'v1.10.0']],
  ['<=v1.2.3', ['v1.2.3', 'v1.2.2'], ['v1.2.4']],
  ['>v1.2.3', ['v1.2.4', 'v1.10.0', 'v2.0.0+incompatible'], ['v1.2.3', 'v1.2.3-rc.1']],
  ['>=v1.0.0 <v1.4.2', ['v1.0.0', 'v1.4.1', 'v1.4.2-rc.1'], ['v0.9.9', 'v1.4.2', 'v1.0.0-rc.1']],
  ['>= v1.0.0 < v1.4.2', ['v1.3.0'], ['v1.4.2']],
  ['<v1.0.5 || >=v2.0.0', ['v1.0.4', 'v2.0.0', 'v3.1.0'], ['v1.0.5', 'v1.9.9']],
  ['v2.0.0', ['v2.0.0+incompatible'], []],
  ['<v2', ['v1.99.0'], ['v2.0.0']],
];

describe('version ranges by Go semver precedence', () => {
  it.each(cases)('%s', (text, inside, outside) => {
    const range = parseVersionRange(text);
    for (const v of inside) expect(versionInRange(range, v), v).toBe(true);
    for (const v of outside) expect(versionInRange(range, v), v).toBe(false);
  });

  it('never matches an invalid version', () => {
    expect(versionInRange(parseVersionRange('<v9.0.0'), 'master')).toBe(false);
  });

  it.each(['', '1.2.3', '<1.2.3', '>=v1.0.0 <', '=>v1.0.0', 'v1.2.3 ||', '~v1.2.3', '<v1.2.3.4'])('rejects %j with a message naming it', (text) => {
    expect(() => parseVersionRange(text)).toThrow(/malformed version range/);
  });
});
