// What a .mod must be before it is stored: a go.mod whose module line names the requested path
// (none only for +incompatible), else a 502 that says why.
import { describe, expect, it } from 'vitest';
import { checkServedGoMod } from '../../proxy/goModAcceptance.ts';

const path = 'example.com/m';

const accepted: Array<[string, string, string]> = [
  ['a plain go.mod', 'v1.0.0', 'module example.com/m\n\ngo 1.21\n'],
  ['a quoted module path and comments', 'v1.0.0', '// c\nmodule "example.com/m" // deprecated? no\n'],
  ['a directive the go command may add later', 'v1.0.0', 'module example.com/m\nfuture (\n\tx y\n)\nfrobnicate 1\n'],
  ['no module line for +incompatible', 'v2.0.0+incompatible', 'go 1.12\nrequire example.com/a v1.0.0\n'],
  ['an empty go.mod for +incompatible', 'v3.1.0+incompatible', ''],
];

const refused: Array<[string, string, string, RegExp]> = [
  ['an HTML page', 'v1.0.0', '<!DOCTYPE html>\n<html><body>Sign in</body></html>\n', /has no module line/],
  ['an HTML page with quoted attributes', 'v1.0.0', '<a href="/login">Sign in</a>\n', /is not a go\.mod .*quote/],
  ['an HTML page for +incompatible', 'v2.0.0+incompatible', '<html><body>Sign in</body></html>\n', /is not a go\.mod .*unknown directive/],
  ['another module', 'v1.0.0', 'module example.com/other\n', /declares module "example\.com\/other"/],
  ['the path with another major version', 'v1.0.0', 'module example.com/m/v2\n', /declares module "example\.com\/m\/v2"/],
  ['no module line', 'v1.0.0', 'go 1.21\n', /has no module line/],
  ['an unclosed block', 'v1.0.0', 'module example.com/m\nrequire (\nexample.com/a v1.0.0\n', /is not a go\.mod .*not closed/],
  ['binary bytes', 'v1.0.0', 'module example.com/m\n\u0000\u0001', /not UTF-8 text/],
  ['JSON', 'v1.0.0', '{"Version":"v1.0.0"}', /has no module line|is not a go\.mod/],
];

describe('checkServedGoMod', () => {
  it.each(accepted)('accepts %s', (_name, version, text) => {
    expect(() => checkServedGoMod(Buffer.from(text), path, version, 'http://up')).not.toThrow();
  });

  it.each(refused)('refuses %s with a 502 naming the upstream and the reason', (_name, version, text, reason) => {
    let caught: unknown;
    try {
      checkServedGoMod(Buffer.from(text), path, version, 'http://up');
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ status: 502, code: 'BAD_UPSTREAM_CONTENT' });
    expect((caught as Error).message).toMatch(/^http:\/\/up served a \.mod for example\.com\/m@/);
    expect((caught as Error).message).toMatch(reason);
  });
});
