/**
 * Semantic versions as Go reads them (golang.org/x/mod/semver).
 *
 * A version is `vMAJOR[.MINOR[.PATCH[-PRERELEASE][+BUILD]]]`:
 * - the leading "v" is required;
 * - MAJOR, MINOR and PATCH are decimal numbers without leading zeros;
 * - PRERELEASE and BUILD are non-empty dot-separated identifiers of [0-9A-Za-z-], and an
 *   all-digit PRERELEASE identifier has no leading zero;
 * - "v1" and "v1.2" are valid shorthands for "v1.0.0" and "v1.2.0" but are not canonical, and a
 *   shorthand carries no prerelease or build suffix.
 *
 * Precedence is Semantic Versioning 2.0.0: numbers compare numerically (of any length), a
 * prerelease sorts before its release, prerelease identifiers compare numerically when both are
 * digits, digits sort before letters, and a longer prerelease wins a tie. Build metadata is
 * ignored. Every invalid string compares equal to every other and below every valid one.
 *
 * The go command additionally requires a module version to be canonical; the only build
 * metadata it keeps is "+incompatible" (see {@link isCanonicalVersion}).
 */

type ParsedSemver = {
  major: string;
  minor: string;
  patch: string;
  /** ".0.0" or ".0" when the version was a shorthand, else "". */
  shorthand: string;
  /** "-pre.1" (with its dash) or "". */
  prerelease: string;
  /** "+meta" (with its plus) or "". */
  build: string;
};

const numberRe = /^(0|[1-9][0-9]*)/;
const identifiersRe = /^[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*$/;

/** Reads a number without leading zeros from the start of s; null if there is none. */
function readNumber(s: string): [value: string, rest: string] | null {
  const m = numberRe.exec(s);
  if (!m) return null;
  const value = m[0];
  const rest = s.slice(value.length);
  // "01" reads as "0" followed by "1": a leading zero, which the grammar forbids.
  if (value === '0' && /^[0-9]/.test(rest)) return null;
  return [value, rest];
}

function parseSemver(v: string): ParsedSemver | null {
  if (!v.startsWith('v')) return null;
  const major = readNumber(v.slice(1));
  if (!major) return null;
  let [, rest] = major;
  if (rest === '') return { major: major[0], minor: '0', patch: '0', shorthand: '.0.0', prerelease: '', build: '' };
  if (!rest.startsWith('.')) return null;
  const minor = readNumber(rest.slice(1));
  if (!minor) return null;
  rest = minor[1];
  if (rest === '') return { major: major[0], minor: minor[0], patch: '0', shorthand: '.0', prerelease: '', build: '' };
  if (!rest.startsWith('.')) return null;
  const patch = readNumber(rest.slice(1));
  if (!patch) return null;
  rest = patch[1];

  let prerelease = '';
  if (rest.startsWith('-')) {
    const end = rest.indexOf('+');
    prerelease = end < 0 ? rest : rest.slice(0, end);
    const idents = prerelease.slice(1);
    if (!identifiersRe.test(idents)) return null;
    if (idents.split('.').some((id) => /^0[0-9]+$/.test(id))) return null;
    rest = rest.slice(prerelease.length);
  }
  let build = '';
  if (rest.startsWith('+')) {
    if (!identifiersRe.test(rest.slice(1))) return null;
    build = rest;
    rest = '';
  }
  if (rest !== '') return null;
  return { major: major[0], minor: minor[0], patch: patch[0], shorthand: '', prerelease, build };
}

/** Whether v is a valid Go semantic version ("v1", "v1.2", "v1.2.3-pre+build", ...). */
export function isValidSemver(v: string): boolean {
  return parseSemver(v) !== null;
}

/**
 * The canonical form of v: shorthands filled in ("v1" -> "v1.0.0"), build metadata dropped
 * ("v1.2.3+meta" -> "v1.2.3", including "+incompatible"). "" when v is invalid.
 * Two versions have equal precedence exactly when their canonical forms are equal.
 */
export function canonicalSemver(v: string): string {
  const p = parseSemver(v);
  if (!p) return '';
  if (p.build !== '') return v.slice(0, v.length - p.build.length);
  return v + p.shorthand;
}

/** The major version prefix: "v2.1.0" -> "v2". "" when v is invalid. */
export function semverMajor(v: string): string {
  const p = parseSemver(v);
  return p ? 'v' + p.major : '';
}

/** The major.minor prefix: "v2.1.0" -> "v2.1", "v2" -> "v2.0". "" when v is invalid. */
export function semverMajorMinor(v: string): string {
  const p = parseSemver(v);
  return p ? `v${p.major}.${p.minor}` : '';
}

/** The prerelease suffix with its dash: "v2.1.0-pre+meta" -> "-pre". "" when none or invalid. */
export function semverPrerelease(v: string): string {
  return parseSemver(v)?.prerelease ?? '';
}

/** The build suffix with its plus: "v2.1.0+meta" -> "+meta". "" when none or invalid. */
export function semverBuild(v: string): string {
  return parseSemver(v)?.build ?? '';
}

/** Compares decimal strings without leading zeros, of any length. */
function compareDecimal(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a === b ? 0 : a < b ? -1 : 1;
}

function compareIdentifier(a: string, b: string): number {
  const aNum = /^[0-9]+$/.test(a);
  const bNum = /^[0-9]+$/.test(b);
  if (aNum && bNum) return compareDecimal(a, b);
  if (aNum !== bNum) return aNum ? -1 : 1;
  return a === b ? 0 : a < b ? -1 : 1; // ASCII order
}

function comparePrerelease(a: string, b: string): number {
  if (a === b) return 0;
  if (a === '') return 1; // a release is above its prereleases
  if (b === '') return -1;
  const as = a.slice(1).split('.');
  const bs = b.slice(1).split('.');
  for (let i = 0; i < Math.min(as.length, bs.length); i++) {
    const c = compareIdentifier(as[i] ?? '', bs[i] ?? '');
    if (c !== 0) return c;
  }
  return as.length === bs.length ? 0 : as.length < bs.length ? -1 : 1;
}

/**
 * -1, 0 or 1 as a has lower, equal or higher precedence than b. Invalid versions are equal to
 * each other and lower than any valid one; build metadata does not count.
 */
export function compareSemver(a: string, b: string): number {
  return compareParsed(parseSemver(a), parseSemver(b));
}

function compareParsed(pa: ParsedSemver | null, pb: ParsedSemver | null): number {
  if (!pa || !pb) return pa ? 1 : pb ? -1 : 0;
  return (
    compareDecimal(pa.major, pb.major) ||
    compareDecimal(pa.minor, pb.minor) ||
    compareDecimal(pa.patch, pb.patch) ||
    comparePrerelease(pa.prerelease, pb.prerelease)
  );
}

/**
 * Sorts items in place by the precedence of their versions, as `sort` with {@link compareSemver}
 * would (items of equal precedence keep their order), parsing each version once instead of at
 * every comparison.
 */
export function sortBySemver<T>(items: T[], versionOf: (item: T) => string): T[] {
  const parsed = items.map((item) => ({ item, semver: parseSemver(versionOf(item)) }));
  parsed.sort((a, b) => compareParsed(a.semver, b.semver));
  for (let i = 0; i < items.length; i++) items[i] = parsed[i]!.item;
  return items;
}

/** The one of a and b with the higher precedence (a when they are equal); neither is rewritten. */
export function maxVersion(a: string, b: string): string {
  return compareSemver(a, b) >= 0 ? a : b;
}

/**
 * A sorted copy of versions: by precedence, and versions of equal precedence (or invalid ones)
 * by plain string order, so the result does not depend on the input order (x/mod semver.Sort).
 */
export function sortVersions(versions: readonly string[]): string[] {
  return [...versions].sort((a, b) => compareSemver(a, b) || (a === b ? 0 : a < b ? -1 : 1));
}

/**
 * The canonical form of a module version: {@link canonicalSemver}, except that the build suffix
 * "+incompatible" is kept (x/mod module.CanonicalVersion). "" when v is invalid.
 */
export function canonicalVersion(v: string): string {
  const canonical = canonicalSemver(v);
  if (canonical !== '' && semverBuild(v) === '+incompatible') return canonical + '+incompatible';
  return canonical;
}

/**
 * Whether v is a version the go command accepts as a module version as written: a canonical
 * semantic version, whose only allowed build metadata is "+incompatible".
 * "v1.2.3" and "v2.0.0+incompatible" are; "v1.2", "v1.2.3+meta" and "1.2.3" are not.
 */
export function isCanonicalVersion(v: string): boolean {
  return v !== '' && v === canonicalVersion(v);
}
