import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InvalidPathError,
  InvalidVersionError,
  checkFilePath,
  checkImportPath,
  checkModulePath,
  checkModuleVersion,
  checkPathMajor,
  escapePath,
  escapeVersion,
  pathMajorPrefix,
  splitPathVersion,
  unescapePath,
  unescapeVersion,
} from '../../../proxy/protocol/index.ts';
import { goDownloadErrors, makeGoSandbox, requestedInfoPath, type GoSandbox } from './goCommand.ts';

function accepts(check: (path: string) => void, path: string): boolean {
  try {
    check(path);
    return true;
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidPathError);
    return false;
  }
}

// [path, valid module path, valid import path, valid file path]: the table of x/mod's
// module_test.go (the version matching the go command this repository tests against).
// "\uD800" (a lone surrogate) stands in for x/mod's invalid UTF-8 byte "\xFF".
const paths: Array<[string, boolean, boolean, boolean]> = [
  ['x.y/z', true, true, true],
  ['x.y', true, true, true],

  ['', false, false, false],
  ['x.y/\uD800z', false, false, false],
  ['/x.y/z', false, false, false],
  ['x./z', false, false, false],
  ['.x/z', false, true, true],
  ['-x/z', false, false, true],
  ['x..y/z', true, true, true],
  ['x.y/z/../../w', false, false, false],
  ['x.y//z', false, false, false],
  ['x.y/z//w', false, false, false],
  ['x.y/z/', false, false, false],

  ['x.y/z/v0', false, true, true],
  ['x.y/z/v1', false, true, true],
  ['x.y/z/v2', true, true, true],
  ['x.y/z/v2.0', false, true, true],
  ['X.y/z', false, true, true],

  ['!x.y/z', false, false, true],
  ['_x.y/z', false, true, true],
  ['x.y!/z', false, false, true],
  ['x.y"/z', false, false, false],
  ['x.y#/z', false, false, true],
  ['x.y$/z', false, false, true],
  ['x.y%/z', false, false, true],
  ['x.y&/z', false, false, true],
  ["x.y'/z", false, false, false],
  ['x.y(/z', false, false, true],
  ['x.y)/z', false, false, true],
  ['x.y*/z', false, false, false],
  ['x.y+/z', false, true, true],
  ['x.y,/z', false, false, true],
  ['x.y-/z', true, true, true],
  ['x.y./zt', false, false, false],
  ['x.y:/z', false, false, false],
  ['x.y;/z', false, false, false],
  ['x.y</z', false, false, false],
  ['x.y=/z', false, false, true],
  ['x.y>/z', false, false, false],
  ['x.y?/z', false, false, false],
  ['x.y@/z', false, false, true],
  ['x.y[/z', false, false, true],
  ['x.y\\/z', false, false, false],
  ['x.y]/z', false, false, true],
  ['x.y^/z', false, false, true],
  ['x.y_/z', false, true, true],
  ['x.y`/z', false, false, false],
  ['x.y{/z', false, false, true],
  ['x.y}/z', false, false, true],
  ['x.y~/z', false, true, true],
  ['x.y/z!', false, false, true],
  ['x.y/z"', false, false, false],
  ['x.y/z#', false, false, true],
  ['x.y/z$', false, false, true],
  ['x.y/z%', false, false, true],
  ['x.y/z&', false, false, true],
  ["x.y/z'", false, false, false],
  ['x.y/z(', false, false, true],
  ['x.y/z)', false, false, true],
  ['x.y/z*', false, false, false],
  ['x.y/z++', false, true, true],
  ['x.y/z,', false, false, true],
  ['x.y/z-', true, true, true],
  ['x.y/z.t', true, true, true],
  ['x.y/z/t', true, true, true],
  ['x.y/z:', false, false, false],
  ['x.y/z;', false, false, false],
  ['x.y/z<', false, false, false],
  ['x.y/z=', false, false, true],
  ['x.y/z>', false, false, false],
  ['x.y/z?', false, false, false],
  ['x.y/z@', false, false, true],
  ['x.y/z[', false, false, true],
  ['x.y/z\\', false, false, false],
  ['x.y/z]', false, false, true],
  ['x.y/z^', false, false, true],
  ['x.y/z_', true, true, true],
  ['x.y/z`', false, false, false],
  ['x.y/z{', false, false, true],
  ['x.y/z}', false, false, true],
  ['x.y/z~', true, true, true],
  ['x.y/x.foo', true, true, true],
  ['x.y/aux.foo', false, false, false],
  ['x.y/prn', false, false, false],
  ['x.y/prn2', true, true, true],
  ['x.y/com', true, true, true],
  ['x.y/com1', false, false, false],
  ['x.y/com1.txt', false, false, false],
  ['x.y/calm1', true, true, true],
  ['x.y/z~0', false, false, true],
  ['x.y/z~09', false, false, true],
  ['x.y/z09', true, true, true],
  ['x.y/z09~', true, true, true],
  ['x.y/z09~09z', true, true, true],
  ['x.y/z09~09z~09', false, false, true],
  ['github.com/!123/logrus', false, false, true],
  // Unicode letters are allowed in file names only.
  ['github.com/user/unicode/испытание', false, false, true],
  ['../x', false, false, false],
  ['./y', false, false, false],
  ['x:y', false, false, false],
  ['\\temp\\foo', false, false, false],
  ['.gitignore', false, true, true],
  ['.github/ISSUE_TEMPLATE', false, true, true],
  ['x☺y', false, false, false],

  // More of the rules, case by case.
  ['x.y/PROGRA~1', false, false, true],
  ['x.y/z+', false, true, true],
  ['x.y/Con.d', false, false, false],
  ['x.y/lpt9', false, false, false],
  ['example', false, true, true],
  ['github.com/BurntSushi/toml', true, true, true],
  ['github.com/rsc/quote/v12', true, true, true],
  ['github.com/rsc/quote/v012', false, true, true],
  ['gopkg.in/yaml.v2', true, true, true],
  ['gopkg.in/yaml.v0', true, true, true],
  ['gopkg.in/yaml.v1-unstable', true, true, true],
  ['gopkg.in/yaml.v0-unstable', false, true, true],
  ['gopkg.in/yaml', false, true, true],
  ['gopkg.in/yaml.v02', false, true, true],
  ['gopkg.in/yaml.v2/sub', false, true, true],
  ['a-b.example/c', true, true, true],
  ['a_b.example/c', false, true, true],
  ['a b.example/c', false, false, true],
  ['-', false, false, true],
  ['.', false, false, false],
  ['x.y/...', false, false, false],
  ['x.y/a/', false, false, false],
];

describe('checkModulePath, checkImportPath, checkFilePath', () => {
  it.each(paths)('%j: module %s, import %s, file %s', (path, moduleOK, importOK, fileOK) => {
    expect(accepts(checkModulePath, path)).toBe(moduleOK);
    expect(accepts(checkImportPath, path)).toBe(importOK);
    expect(accepts(checkFilePath, path)).toBe(fileOK);
  });

  // The messages quote the path and state the rule, in x/mod's words.
  it.each([
    ['x.y/.z', 'malformed module path "x.y/.z": leading dot in path element'],
    ['x.y/z/../../w', 'malformed module path "x.y/z/../../w": invalid path element ".."'],
    ['X.y/z', `malformed module path "X.y/z": invalid char 'X' in first path element`],
    ['x.y/z/', 'malformed module path "x.y/z/": trailing slash'],
    ['/x.y/z', 'malformed module path "/x.y/z": leading slash'],
    ['x.y//z', 'malformed module path "x.y//z": double slash'],
    ['x.y/z*', `malformed module path "x.y/z*": invalid char '*'`],
    ['x.y/z"', `malformed module path "x.y/z\\"": invalid char '"'`],
    ['example/z', 'malformed module path "example/z": missing dot in first path element'],
    ['x.y/z.', 'malformed module path "x.y/z.": trailing dot in path element'],
    ['x.y/com1.txt', 'malformed module path "x.y/com1.txt": "com1" disallowed as path element component on Windows'],
    ['x.y/PROGRA~1', 'malformed module path "x.y/PROGRA~1": trailing tilde and digits in path element'],
    ['', 'malformed module path "": empty string'],
    ['-x.y/z', 'malformed module path "-x.y/z": leading dash'],
    ['x.y/z/v1', 'malformed module path "x.y/z/v1": invalid major version suffix "/v1": must be /vN with N >= 2, without leading zeros or dots'],
    ['gopkg.in/yaml', 'malformed module path "gopkg.in/yaml": a gopkg.in path must end in .vN (N without leading zeros), optionally followed by -unstable'],
  ])('checkModulePath(%j) says %j', (path, message) => {
    expect(() => checkModulePath(path)).toThrow(message);
  });

  it('reports the kind and the reason as fields', () => {
    try {
      checkFilePath('a/b:c');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidPathError);
      const e = err as InvalidPathError;
      expect([e.kind, e.path, e.reason]).toEqual(['file path', 'a/b:c', `invalid char ':'`]);
      expect(e.message).toBe(`malformed file path "a/b:c": invalid char ':'`);
    }
  });
});

describe('splitPathVersion', () => {
  it.each([
    ['x.y/z', 'x.y/z', ''],
    ['x.y/z/v2', 'x.y/z', '/v2'],
    ['x.y/z/v3', 'x.y/z', '/v3'],
    ['x.y/z/v10', 'x.y/z', '/v10'],
    ['x.y/v', 'x.y/v', ''],
    ['x.y/z/v2x', 'x.y/z/v2x', ''],
    ['x.y/zv2', 'x.y/zv2', ''],
    ['gopkg.in/yaml.v0', 'gopkg.in/yaml', '.v0'],
    ['gopkg.in/yaml.v1', 'gopkg.in/yaml', '.v1'],
    ['gopkg.in/yaml.v2', 'gopkg.in/yaml', '.v2'],
    ['gopkg.in/yaml.v3', 'gopkg.in/yaml', '.v3'],
    ['gopkg.in/yaml.v1-unstable', 'gopkg.in/yaml', '.v1-unstable'],
    ['gopkg.in/user/yaml.v2', 'gopkg.in/user/yaml', '.v2'],
  ])('%j -> %j + %j', (path, prefix, pathMajor) => {
    expect(splitPathVersion(path)).toEqual({ prefix, pathMajor });
  });

  it.each(['x.y/z/v0', 'x.y/z/v1', 'x.y/z/v2.0', 'x.y/z/v02', 'x.y/z/v1.5', 'gopkg.in/yaml', 'gopkg.in/yaml.v01', 'gopkg.in/yaml/v2', 'gopkg.in/v2'])(
    '%j has a malformed major version suffix',
    (path) => {
      expect(splitPathVersion(path)).toBeNull();
    },
  );

  it('splits every path of the path table into parts that add up to it', () => {
    for (const [path] of paths) {
      const split = splitPathVersion(path);
      if (split) expect(split.prefix + split.pathMajor).toBe(path);
    }
  });
});

describe('checkPathMajor', () => {
  // From x/mod's TestMatchPathMajor.
  it.each([
    ['v0.0.0', '', true],
    ['v0.0.0', '/v2', false],
    ['v0.0.0', '.v0', true],
    ['v0.0.0-20190510104115-cbcb75029529', '.v1', true],
    ['v1.0.0', '/v2', false],
    ['v1.0.0', '.v1', true],
    ['v1.0.0', '.v1-unstable', true],
    ['v2.0.0+incompatible', '', true],
    ['v2.0.0', '', false],
    ['v2.0.0', '/v2', true],
    ['v2.0.0', '.v2', true],
    ['v3.1.0', '/v2', false],
  ])('%j fits %j: %s', (version, pathMajor, ok) => {
    if (ok) expect(() => checkPathMajor(version, pathMajor)).not.toThrow();
    else expect(() => checkPathMajor(version, pathMajor)).toThrow(InvalidVersionError);
  });

  it.each([
    ['v2.0.0', '', 'invalid version "v2.0.0": should be v0 or v1, not v2'],
    ['v1.0.0', '/v2', 'invalid version "v1.0.0": should be v2, not v1'],
    ['v3.0.0', '.v2', 'invalid version "v3.0.0": should be v2, not v3'],
  ])('%j with %j says %j', (version, pathMajor, message) => {
    expect(() => checkPathMajor(version, pathMajor)).toThrow(message);
  });
});

describe('checkModuleVersion', () => {
  // x/mod's TestCheck table.
  it.each([
    ['rsc.io/quote', '0.1.0', false],
    ['rsc io/quote', 'v1.0.0', false],
    ['github.com/go-yaml/yaml', 'v0.8.0', true],
    ['github.com/go-yaml/yaml', 'v1.0.0', true],
    ['github.com/go-yaml/yaml', 'v2.0.0', false],
    ['github.com/go-yaml/yaml', 'v2.1.5', false],
    ['github.com/go-yaml/yaml', 'v3.0.0', false],
    ['github.com/go-yaml/yaml/v2', 'v1.0.0', false],
    ['github.com/go-yaml/yaml/v2', 'v2.0.0', true],
    ['github.com/go-yaml/yaml/v2', 'v2.1.5', true],
    ['github.com/go-yaml/yaml/v2', 'v3.0.0', false],
    ['gopkg.in/yaml.v0', 'v0.8.0', true],
    ['gopkg.in/yaml.v0', 'v1.0.0', false],
    ['gopkg.in/yaml.v0', 'v2.0.0', false],
    ['gopkg.in/yaml.v0', 'v2.1.5', false],
    ['gopkg.in/yaml.v0', 'v3.0.0', false],
    ['gopkg.in/yaml.v1', 'v0.8.0', false],
    ['gopkg.in/yaml.v1', 'v1.0.0', true],
    ['gopkg.in/yaml.v1', 'v2.0.0', false],
    ['gopkg.in/yaml.v1', 'v2.1.5', false],
    ['gopkg.in/yaml.v1', 'v3.0.0', false],
    // gopkg.in .v1 also takes the v0 pseudo-versions early go commands wrote for it.
    ['gopkg.in/check.v1', 'v0.0.0', false],
    ['gopkg.in/check.v1', 'v0.0.0-20160102150405-abcdef123456', true],
    ['gopkg.in/yaml.v2', 'v1.0.0', false],
    ['gopkg.in/yaml.v2', 'v2.0.0', true],
    ['gopkg.in/yaml.v2', 'v2.1.5', true],
    ['gopkg.in/yaml.v2', 'v3.0.0', false],
    ['rsc.io/quote', 'v17.0.0', false],
    ['rsc.io/quote', 'v17.0.0+incompatible', true],
  ])('%j @ %j: %s', (path, version, ok) => {
    if (ok) expect(() => checkModuleVersion(path, version)).not.toThrow();
    else expect(() => checkModuleVersion(path, version)).toThrow();
  });

  it('names a version that is not a semantic version', () => {
    expect(() => checkModuleVersion('rsc.io/quote', '0.1.0')).toThrow('invalid version "0.1.0": not a semantic version');
  });
});

describe('pathMajorPrefix', () => {
  it.each([
    ['', ''],
    ['/v2', 'v2'],
    ['/v10', 'v10'],
    ['.v0', 'v0'],
    ['.v1', 'v1'],
    ['.v1-unstable', 'v1'],
  ])('%j -> %j', (pathMajor, prefix) => {
    expect(pathMajorPrefix(pathMajor)).toBe(prefix);
  });

  it.each(['v2', '/v', '/v2.0', '/x'])('%j is not a major version suffix', (pathMajor) => {
    expect(() => pathMajorPrefix(pathMajor)).toThrow(pathMajor);
  });
});

describe('escapePath and unescapePath', () => {
  it.each([
    ['ascii.com/abcdefghijklmnopqrstuvwxyz.-/~_0123456789', 'ascii.com/abcdefghijklmnopqrstuvwxyz.-/~_0123456789'],
    ['github.com/GoogleCloudPlatform/omega', 'github.com/!google!cloud!platform/omega'],
    ['github.com/Azure/azure-sdk-for-go', 'github.com/!azure/azure-sdk-for-go'],
    ['github.com/Sirupsen/logrus', 'github.com/!sirupsen/logrus'],
    ['github.com/BurntSushi/toml', 'github.com/!burnt!sushi/toml'],
    ['example.com/ABC/v2', 'example.com/!a!b!c/v2'],
  ])('%j <-> %j', (path, escaped) => {
    expect(escapePath(path)).toBe(escaped);
    expect(unescapePath(escaped)).toBe(path);
  });

  it('refuses to escape every invalid module path of the path table', () => {
    for (const [path, moduleOK] of paths) {
      if (!moduleOK) expect(() => escapePath(path), path).toThrow(InvalidPathError);
    }
  });

  it('refuses to unescape every invalid module path of the path table', () => {
    for (const [path, moduleOK] of paths) {
      if (!moduleOK) expect(() => unescapePath(path), path).toThrow(InvalidPathError);
    }
  });

  // x/mod's badUnescape list, and more.
  it.each([
    ['github.com/GoogleCloudPlatform/omega', `upper-case 'G' in escaped form (it is written "!g")`],
    ['github.com/!google!cloud!platform!/omega', '"!" not followed by a lower-case letter'],
    ['github.com/!0google!cloud!platform/omega', '"!" not followed by a lower-case letter'],
    ['github.com/!_google!cloud!platform/omega', '"!" not followed by a lower-case letter'],
    ['github.com/!!google!cloud!platform/omega', '"!" not followed by a lower-case letter'],
    ['github.com/!Azure', '"!" not followed by a lower-case letter'],
    ['github.com/azure!', '"!" not followed by a lower-case letter'],
    ['github.com/испытание', `invalid char 'и' in escaped form (ASCII only)`],
    ['', 'empty string'],
    ['!github.com/x', `invalid char 'G' in first path element`],
  ])('unescapePath(%j) fails: %s', (escaped, reason) => {
    expect(() => unescapePath(escaped)).toThrow(InvalidPathError);
    expect(() => unescapePath(escaped)).toThrow(reason);
  });
});

describe('escapeVersion and unescapeVersion', () => {
  it.each([
    ['v1.0.0', 'v1.0.0'],
    ['v1.0.0-RC1', 'v1.0.0-!r!c1'],
    ['v2.0.0+incompatible', 'v2.0.0+incompatible'],
    ['master', 'master'],
    ['Feature', '!feature'],
    ['v0.0.0-20190101000000-ABCDEFabcdef', 'v0.0.0-20190101000000-!a!b!c!d!e!fabcdef'],
  ])('%j <-> %j', (version, escaped) => {
    expect(escapeVersion(version)).toBe(escaped);
    expect(unescapeVersion(escaped)).toBe(version);
  });

  it.each([
    ['', 'empty path element'],
    ['v1!', 'contains "!"'],
    ['a/b', 'contains "/"'],
    ['..', 'invalid path element ".."'],
    ['v1.0.', 'trailing dot in path element'],
    ['v1:0', `invalid char ':'`],
    ['v1*', `invalid char '*'`],
    ['nul', '"nul" disallowed as path element component on Windows'],
  ])('escapeVersion(%j) fails: %s', (version, reason) => {
    expect(() => escapeVersion(version)).toThrow(InvalidVersionError);
    expect(() => escapeVersion(version)).toThrow(`invalid version ${JSON.stringify(version)}: disallowed version string: ${reason}`);
  });

  it.each([
    ['v1.0.0-RC1', 'upper-case'],
    ['v1.0.0-!!rc1', '"!" not followed'],
    ['v1.0.0-!', '"!" not followed'],
    ['v1.0.0-!1', '"!" not followed'],
    ['', 'empty path element'],
    ['a/b', 'contains "/"'],
  ])('unescapeVersion(%j) fails: %s', (escaped, reason) => {
    expect(() => unescapeVersion(escaped)).toThrow(InvalidVersionError);
    expect(() => unescapeVersion(escaped)).toThrow(reason);
  });
});

describe('the go command agrees', () => {
  let sandbox: GoSandbox | undefined;
  beforeAll(async () => {
    sandbox = await makeGoSandbox();
  });
  afterAll(async () => {
    await sandbox?.dispose();
  });

  // Our messages word two rules differently from x/mod.
  const asGoSaysIt = (message: string) =>
    message.replace(/: (invalid major version suffix .*|a gopkg\.in path must end in .*)$/, ': invalid version');

  it('on which module paths are valid, the rule an invalid one breaks, and how paths and versions are escaped', async () => {
    if (!sandbox) throw new Error('no sandbox');
    const candidates = [
      ...paths.map(([path]) => path),
      'github.com/BurntSushi/toml',
      'github.com/GoogleCloudPlatform/omega',
      'example.com/ABC/v2',
      'gopkg.in/Yaml.v1-unstable',
      'x.y/z/v1.5',
    ];
    // Leave out what go would take for a flag, a file system path, a "..." pattern or a version.
    const usable = candidates.filter(
      (p) => p !== '' && p.isWellFormed() && !/[@\\]|\.\.\./.test(p) && !/^(\.\.?(\/|$)|\/|-)/.test(p),
    );
    const versionFor = (path: string) => {
      const split = splitPathVersion(path);
      return `${split && split.pathMajor !== '' ? pathMajorPrefix(split.pathMajor) : 'v1'}.0.0-RC.1Beta`;
    };
    const modules = usable.map((path) => `${path}@${versionFor(path)}`);
    const errors = await goDownloadErrors(sandbox, sandbox.emptyProxy, modules);

    usable.forEach((path, i) => {
      const version = versionFor(path);
      const error = errors[i] ?? '';
      let ours = '';
      try {
        checkModulePath(path);
      } catch (err) {
        ours = (err as Error).message;
      }
      if (ours === '') {
        expect(requestedInfoPath(sandbox!, error), `${path}: go said ${error}`).toEqual({
          path: escapePath(path),
          version: escapeVersion(version),
        });
      } else {
        expect(error, path).toBe(`${path}@${version}: ${asGoSaysIt(ours)}`);
      }
    });
  });
});
