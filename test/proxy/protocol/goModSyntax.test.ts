// The go.mod syntax as modfile reads it: statements, blocks, comments, strings and where a
// syntax error is. parseModFile's agreement with `go mod edit -json` is in modFile.test.ts,
// laxGoDirective's with x/mod's zip in modzip/createZip.test.ts.
import { describe, expect, it } from 'vitest';
import { GoModSyntaxError, laxGoDirective, parseGoModString, parseGoModSyntax, unquoteGoString } from '../../../proxy/protocol/index.ts';

// [text, statements as [tokens, comment, line, block lines (tokens) or undefined]]
type Want = [string[], string, number, string[][] | undefined];
const texts: Array<[string, string, Want[]]> = [
  ['one line', 'module example.com/m\n', [[['module', 'example.com/m'], '', 1, undefined]]],
  ['a trailing comment', 'require a v1.0.0 // indirect\n', [[['require', 'a', 'v1.0.0'], ' indirect', 1, undefined]]],
  ['comment lines and blank lines', '// c\n\nmodule m\n', [[['module', 'm'], '', 3, undefined]]],
  ['a block', 'require (\n\ta v1.0.0\n\t// c\n\tb v2.0.0 // indirect\n)\n', [[['require'], '', 1, [['a', 'v1.0.0'], ['b', 'v2.0.0']]]]],
  ['an empty block on one line', 'exclude ()\ngo 1.21\n', [[['exclude'], '', 1, []], [['go', '1.21'], '', 2, undefined]]],
  ['strings kept as written', 'module "example.com/m"\nreplace a => `b` v1\n', [[['module', '"example.com/m"'], '', 1, undefined], [['replace', 'a', '=>', '`b`', 'v1'], '', 2, undefined]]],
  ['an arrow without spaces is one word', 'replace a=>b v1\n', [[['replace', 'a=>b', 'v1'], '', 1, undefined]]],
  ['carriage returns', 'module m\r\ngo 1.21\r\n', [[['module', 'm'], '', 1, undefined], [['go', '1.21'], '', 2, undefined]]],
  ['no newline at the end', 'module m', [[['module', 'm'], '', 1, undefined]]],
  ['a word ends before //', 'module m//c\n', [[['module', 'm'], 'c', 1, undefined]]],
];

// [text, line of the error, part of its message]
const errors: Array<[string, number, string]> = [
  ['module m\n/* c */\n', 2, 'mod files must use // comments'],
  ['module "m\n', 1, 'unterminated string'],
  ['module m\nrequire (\n\ta v1\n', 2, 'require block is not closed'],
  ['require (\n\ta v1\n) x\n', 3, 'expected newline after closing paren'],
  ['module m\n\u0001\n', 2, 'unexpected input character'],
];

describe('parseGoModSyntax', () => {
  it.each(texts)('%s', (_name, text, want) => {
    const got = parseGoModSyntax(text).map((s): Want => [s.tokens, s.comment, s.line, s.block?.map((l) => l.tokens)]);
    expect(got).toEqual(want);
  });

  it.each(errors)('refuses %j on line %i', (text, line, message) => {
    let error: unknown;
    try {
      parseGoModSyntax(text);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(GoModSyntaxError);
    expect((error as GoModSyntaxError).line).toBe(line);
    expect((error as GoModSyntaxError).message).toContain(message);
  });
});

describe('parseGoModString and unquoteGoString', () => {
  it.each([
    ['example.com/m', 'example.com/m'],
    ['"example.com/m"', 'example.com/m'],
    ['"a\\tb"', 'a\tb'],
    ['"\\x41\\u00e9\\101"', 'Aé' + 'A'],
    ['"\\q"', undefined],
    ['"\\ud800"', undefined],
    ['`raw`', undefined],
    ["it's", undefined],
    ['"unterminated', undefined],
  ])('%j is %j', (token, want) => {
    expect(parseGoModString(token)).toBe(want);
  });

  it('leaves out what is not a double-quoted literal', () => {
    expect(unquoteGoString('plain')).toBeUndefined();
    expect(unquoteGoString('"a"b"')).toBeUndefined();
  });
});

describe('laxGoDirective', () => {
  const bytes = (text: string) => new TextEncoder().encode(text);
  it.each([
    ['module m\ngo 1.24\n', '1.24'],
    ['module m\ngo 1.21.3\n', '1.21.3'],
    ['module m\ngo 1.24.x\n', '1.24'],
    ['module m\n', ''],
    ['module m\ngo 1.24\ngo 1.24\n', ''],
    ['module m\ngo 1.24\nrequire example.com/a/v2 v3.0.0\n', ''],
    ['module m\ngo 1.24\nreplace a => b\n', '1.24'],
    ['module m\ngo 1.24\nretract [v1, bad]\n', '1.24'],
    ['module m\n/* c */\ngo 1.24\n', ''],
  ])('%j: %j', (text, want) => {
    expect(laxGoDirective(bytes(text))).toBe(want);
  });
});
