import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashFileList, hashGoMod } from '../../../proxy/modzip/index.ts';

function sha256(data: string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The h1 rule written out plainly, over lines already in the expected order. */
function h1OfLines(files: Array<[string, string]>): string {
  const summary = files.map(([name, content]) => `${sha256(content)}  ${name}\n`).join('');
  return `h1:${createHash('sha256').update(summary).digest('base64')}`;
}

describe('hashFileList', () => {
  const cases: Array<{ name: string; sorted: Array<[string, string]> }> = [
    { name: 'ASCII names, upper case before lower case', sorted: [['m@v1.0.0/B.go', 'b'], ['m@v1.0.0/a.go', 'a']] },
    { name: '"." (2E) before "/" (2F)', sorted: [['m@v1.0.0/a.b', '2'], ['m@v1.0.0/a/b', '1']] },
    {
      // UTF-8: U+FF71 is EF BD B1, U+20000 is F0 A0 80 80, so U+FF71 sorts first.
      // UTF-16: U+20000 is D840 DC00, before FF71: plain string sorting gets this wrong.
      name: 'UTF-8 byte order: U+FF71 before U+20000',
      sorted: [['m@v1.0.0/\uff71.txt', 'x'], ['m@v1.0.0/\u{20000}.txt', 'y']],
    },
    { name: 'é after z', sorted: [['m@v1.0.0/z.go', 'z'], ['m@v1.0.0/é.go', 'e']] },
    { name: 'no files', sorted: [] },
  ];

  it.each(cases)('$name', ({ sorted }) => {
    const want = h1OfLines(sorted);
    const digests = sorted.map(([name, content]) => ({ name, sha256Hex: sha256(content) }));
    expect(hashFileList(digests)).toBe(want);
    expect(hashFileList([...digests].reverse())).toBe(want);
  });

  it('refuses a name with a newline', () => {
    expect(() => hashFileList([{ name: 'a\nb', sha256Hex: sha256('') }])).toThrow(/newline/);
  });

  it('refuses a digest that is not lower-case hex SHA-256', () => {
    expect(() => hashFileList([{ name: 'a', sha256Hex: sha256('').toUpperCase() }])).toThrow(/digest/);
  });
});

describe('hashGoMod', () => {
  it('is Hash1 over the single name go.mod', () => {
    const content = 'module example.com/m\n\ngo 1.22\n';
    expect(hashGoMod(new TextEncoder().encode(content))).toBe(h1OfLines([['go.mod', content]]));
  });
});
