// caseFold must equate exactly the strings Go's strings.EqualFold equates.
// A table of the interesting cases, and a comparison with Go's
// unicode.SimpleFold over every code point, run by the real go toolchain.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { caseFold } from '../../../proxy/modzip/index.ts';
import { goEnv, runGo } from '../../fixtures/goCommand.ts';
import { withTempDir } from './zipFiles.ts';

describe('caseFold', () => {
  const cases: Array<{ a: string; b: string; equal: boolean }> = [
    { a: 'a.go', b: 'A.GO', equal: true },
    { a: 'dir/File.go', b: 'DIR/file.go', equal: true },
    { a: 'k.go', b: '\u212a.go', equal: true }, // KELVIN SIGN
    { a: 's.go', b: '\u017f.go', equal: true }, // LATIN SMALL LETTER LONG S
    { a: '\u00b5', b: '\u03bc', equal: true }, // MICRO SIGN, GREEK SMALL LETTER MU
    { a: '\u03c3', b: '\u03c2', equal: true }, // sigma, final sigma
    { a: '\u00df', b: '\u1e9e', equal: true }, // ß, capital sharp s
    { a: '\u{10400}', b: '\u{10428}', equal: true }, // Deseret, above U+FFFF
    { a: '\u13a0', b: '\uab70', equal: true }, // Cherokee: folding goes to upper case
    { a: 'ss', b: '\u00df', equal: false }, // full folding only
    { a: 'i', b: '\u0131', equal: false }, // dotless i: Turkic folding only
    { a: 'i', b: '\u0130', equal: false }, // capital I with dot: Turkic folding only
    { a: 'é', b: 'É', equal: true },
    { a: 'e\u0301', b: 'é', equal: false }, // no normalization
  ];
  it.each(cases)('$a ~ $b: $equal', ({ a, b, equal }) => {
    expect(caseFold(a) === caseFold(b)).toBe(equal);
  });

  it('leaves lower-case ASCII alone', () => {
    expect(caseFold('example.com/m@v1.0.0/a_b-c.go')).toBe('example.com/m@v1.0.0/a_b-c.go');
  });
});

// Prints "F <rune> <fold key>" for every rune whose SimpleFold orbit is not
// trivial, and "A <first> <last>" for each run of runes assigned in Go's
// Unicode version (so that characters newer than Go's tables can be told apart).
const goFoldProgram = `package main

import (
	"bufio"
	"fmt"
	"os"
	"unicode"
)

func key(r rune) rune {
	for {
		r0 := r
		r = unicode.SimpleFold(r0)
		if r <= r0 {
			return r
		}
	}
}

func main() {
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	fmt.Fprintln(w, "V", unicode.Version)
	start := rune(-1)
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if k := key(r); k != r || unicode.SimpleFold(r) != r {
			fmt.Fprintf(w, "F %x %x\\n", r, k)
		}
		assigned := unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z, unicode.Cc, unicode.Cf)
		if assigned && start < 0 {
			start = r
		} else if !assigned && start >= 0 {
			fmt.Fprintf(w, "A %x %x\\n", start, r-1)
			start = -1
		}
	}
}
`;

describe('caseFold agrees with Go', () => {
  it('over every code point (except characters newer than Go’s Unicode tables)', async () => {
    const out = await withTempDir(async (dir) => {
      await writeFile(join(dir, 'fold.go'), goFoldProgram);
      const env = goEnv({ home: dir, goproxy: 'off' });
      const go = await runGo(['run', 'fold.go'], { cwd: dir, env, allowFailure: true });
      expect(go.code, go.stderr).toBe(0);
      return go.stdout;
    });

    const goKey = new Map<number, number>();
    const assigned: Array<[number, number]> = [];
    for (const line of out.trim().split('\n')) {
      const [kind, x, y] = line.split(' ');
      if (kind === 'F') goKey.set(parseInt(x ?? '', 16), parseInt(y ?? '', 16));
      if (kind === 'A') assigned.push([parseInt(x ?? '', 16), parseInt(y ?? '', 16)]);
    }
    const isAssignedInGo = (r: number) => assigned.some(([lo, hi]) => lo <= r && r <= hi);

    const jsKey = new Map<number, number>();
    for (let r = 0; r <= 0x10ffff; r++) {
      if (r >= 0xd800 && r <= 0xdfff) continue;
      const ch = String.fromCodePoint(r);
      if (ch.toLowerCase() === ch && ch.toUpperCase() === ch && !goKey.has(r)) continue;
      const k = caseFold(ch).codePointAt(0) ?? r;
      if (k !== r || goKey.has(r)) jsKey.set(r, k);
    }

    const classes = (keys: Map<number, number>) => {
      const byKey = new Map<number, number[]>();
      for (const [r, k] of keys) {
        const members = byKey.get(k) ?? [k];
        if (r !== k) members.push(r);
        byKey.set(k, members);
      }
      const classOf = new Map<number, string>();
      for (const members of byKey.values()) {
        const sorted = [...new Set(members)].sort((p, q) => p - q);
        for (const m of sorted) classOf.set(m, sorted.map((c) => c.toString(16)).join(' '));
      }
      return (r: number) => classOf.get(r) ?? r.toString(16);
    };
    const goClass = classes(goKey);
    const jsClass = classes(jsKey);

    const unexplained: string[] = [];
    for (const r of new Set([...goKey.keys(), ...jsKey.keys()])) {
      const g = goClass(r);
      const j = jsClass(r);
      if (g === j) continue;
      const members = `${g} ${j}`.split(' ').map((h) => parseInt(h, 16));
      if (members.some((m) => !isAssignedInGo(m))) continue; // Node's Unicode is newer than Go's
      unexplained.push(`U+${r.toString(16)}: Go folds {${g}}, caseFold {${j}}`);
    }
    expect(unexplained).toEqual([]);
    expect(goKey.size).toBeGreaterThan(2000);
  });
});
