// Case folding for the module zip rule "no two file paths may be equal under
// Unicode case-folding" (golang.org/x/mod/zip, which compares with
// strings.EqualFold).
//
// Go's EqualFold treats two code points as equal when they belong to the same
// simple case-folding orbit (unicode.SimpleFold), e.g. {K, k, U+212A KELVIN SIGN}
// or {S, s, U+017F LONG S}. toLowerCase() alone is not that relation: it uses
// full mappings ("İ" lower-cases to two code points, which Go does not fold
// with "i") and misses orbits whose members all have the same lower case form
// only through upper case ("ſ" is already lower case, yet folds with "s").
//
// The rule used here: the fold key of a code point is the lower case form of its
// upper case form, when both mappings give a single code point and the result
// is equal to it under JavaScript's own simple case folding (a RegExp with the
// "iu" flags compares by Unicode simple case folding, the data Go's orbits come
// from); otherwise its lower case form under the same condition; otherwise the
// code point itself. So "ſ", "S" and "s" all give "s", "µ", "Μ" and "μ" give
// "μ", while "ı" stays "ı" (Go does not fold it with "i"). ASCII letters map to
// lower case, so an all-lower-case ASCII path is its own key. The tests compare
// this with Go's unicode.SimpleFold for every code point.

const foldKeyCache = new Map<number, number>();

function singleCodePoint(s: string): number | undefined {
  const cp = s.codePointAt(0);
  if (cp === undefined) return undefined;
  return String.fromCodePoint(cp).length === s.length ? cp : undefined;
}

function foldsTogether(a: number, b: number): boolean {
  return new RegExp(`^\\u{${a.toString(16)}}$`, 'iu').test(String.fromCodePoint(b));
}

function foldKeyOfCodePoint(cp: number): number {
  if (cp < 0x80) return cp >= 0x41 && cp <= 0x5a ? cp + 0x20 : cp;
  const cached = foldKeyCache.get(cp);
  if (cached !== undefined) return cached;

  const ch = String.fromCodePoint(cp);
  const upper = singleCodePoint(ch.toUpperCase());
  const lowerOfUpper =
    upper === undefined ? undefined : singleCodePoint(String.fromCodePoint(upper).toLowerCase());
  const lower = singleCodePoint(ch.toLowerCase());
  let key = cp;
  if (lowerOfUpper !== undefined && foldsTogether(cp, lowerOfUpper)) key = lowerOfUpper;
  else if (lower !== undefined && foldsTogether(cp, lower)) key = lower;
  foldKeyCache.set(cp, key);
  return key;
}

/**
 * caseFold returns a key such that caseFold(a) === caseFold(b) exactly when Go's
 * strings.EqualFold(a, b) holds (up to differences between the Unicode versions
 * of Node and Go).
 */
export function caseFold(s: string): string {
  if (/^[\x00-\x40\x5b-\x7f]*$/.test(s)) return s;
  let out = '';
  for (const ch of s) {
    out += String.fromCodePoint(foldKeyOfCodePoint(ch.codePointAt(0) ?? 0));
  }
  return out;
}
