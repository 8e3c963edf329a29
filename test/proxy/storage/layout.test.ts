import { describe, expect, it } from 'vitest';
import { InvalidPathError } from '../../../proxy/protocol/index.ts';
import { listKey, parseVersionKey, provenanceKey, versionKey } from '../../../proxy/storage/layout.ts';

describe('the keys of the store', () => {
  it.each([
    ['github.com/acme/base', 'v1.2.3', 'github.com/acme/base/@v/v1.2.3'],
    ['github.com/BurntSushi/toml', 'v1.0.0-RC1', 'github.com/!burnt!sushi/toml/@v/v1.0.0-!r!c1'],
    ['golang.org/x/mod', 'v0.0.0-20260101000000-abcdefabcdef', 'golang.org/x/mod/@v/v0.0.0-20260101000000-abcdefabcdef'],
  ])('%s@%s is kept under %s', (module, version, prefix) => {
    // Asked twice: the second answer comes from the escaped paths kept, and must be the same.
    for (let i = 0; i < 2; i++) {
      expect(versionKey(module, version, 'zip')).toBe(`${prefix}.zip`);
      expect(provenanceKey(module, version)).toBe(`${prefix}.provenance`);
      expect(listKey(module)).toBe(`${prefix.slice(0, prefix.indexOf('/@v/'))}/@v/list`);
      expect(parseVersionKey(versionKey(module, version, 'info'))).toEqual({ module, version, kind: 'info' });
    }
  });

  it('refuses an invalid module path every time it is asked, also after valid ones', () => {
    for (let i = 0; i < 3; i++) {
      expect(() => versionKey('github.com/acme/../base', 'v1.0.0', 'mod')).toThrow(InvalidPathError);
      expect(() => listKey('-leading/dash')).toThrow(InvalidPathError);
      expect(versionKey('github.com/acme/base', 'v1.0.0', 'mod')).toBe('github.com/acme/base/@v/v1.0.0.mod');
    }
  });

  it('gives each of more modules than it keeps its own key, before and after the first ones are let go', () => {
    const modules = Array.from({ length: 2500 }, (_, i) => `example.com/Team${i}/repo`);
    for (const round of [0, 1]) {
      for (const [i, module] of modules.entries()) expect(listKey(module), `round ${round}`).toBe(`example.com/!team${i}/repo/@v/list`);
    }
  });
});
