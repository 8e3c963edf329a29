/**
 * Pseudo-versions: the versions the go command gives to untagged commits (golang.org/x/mod
 * module/pseudo.go). One has three forms, each a prerelease that sorts just after the tag the
 * commit builds on and before any later tag:
 *
 *   (1) vX.0.0-yyyymmddhhmmss-abcdef123456          no earlier tag with major version X
 *   (2) vX.Y.(Z+1)-0.yyyymmddhhmmss-abcdef123456    the latest earlier tag is vX.Y.Z
 *   (3) vX.Y.Z-pre.0.yyyymmddhhmmss-abcdef123456    the latest earlier tag is vX.Y.Z-pre
 *
 * Forms (2) and (3) keep the base tag's build suffix ("+incompatible"). The timestamp is the
 * commit time in UTC; the revision is the commit hash's first 12 characters. The "0" before the
 * timestamp keeps a pseudo-version below any prerelease the author may tag later, such as
 * vX.Y.(Z+1)-rc1.
 */

import { InvalidVersionError } from './errors.ts';
import { canonicalSemver, isValidSemver, semverBuild, semverMajor, semverPrerelease } from './semver.ts';

const pseudoVersionRe =
  /^v[0-9]+\.(0\.0-|[0-9]+\.[0-9]+-([^+]*\.)?0\.)[0-9]{14}-[A-Za-z0-9]+(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;

/** Whether v has the shape of a pseudo-version (any of the three forms, any build suffix). */
export function isPseudoVersion(v: string): boolean {
  return v.split('-').length > 2 && isValidSemver(v) && pseudoVersionRe.test(v);
}

type PseudoParts = {
  /** "vX.0.0" (form 1), "vX.Y.(Z+1)-0" (form 2) or "vX.Y.Z-pre.0" (form 3). */
  base: string;
  timestamp: string;
  rev: string;
  build: string;
};

function parsePseudoVersion(v: string): PseudoParts {
  if (!isPseudoVersion(v)) throw new InvalidVersionError(v, 'syntax error', { pseudo: true });
  const build = semverBuild(v);
  const withoutBuild = v.slice(0, v.length - build.length);
  const revDash = withoutBuild.lastIndexOf('-');
  const rev = withoutBuild.slice(revDash + 1);
  const rest = withoutBuild.slice(0, revDash);
  // The timestamp follows the last "." in forms (2) and (3), the last "-" in form (1).
  const cut = Math.max(rest.lastIndexOf('.'), rest.lastIndexOf('-'));
  return { base: rest.slice(0, cut), timestamp: rest.slice(cut + 1), rev, build };
}

/** The 14-digit UTC timestamp of a pseudo-version: "20060102150405". Throws for a non-pseudo-version. */
export function pseudoVersionTime(v: string): string {
  return parsePseudoVersion(v).timestamp;
}

/**
 * The commit time of a pseudo-version as a Date; throws {@link InvalidVersionError} for a
 * non-pseudo-version or a timestamp that is not a real time (month 13, February 30, ...).
 */
export function pseudoVersionDate(v: string): Date {
  const timestamp = pseudoVersionTime(v);
  const [year, month, day, hour, minute, second] = [0, 4, 6, 8, 10, 12].map((at, i) =>
    Number(timestamp.slice(at, i === 0 ? 4 : at + 2)),
  ) as [number, number, number, number, number, number];
  // Set the fields one by one: Date.UTC would read the years 0-99 as 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  const roundTrips =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second;
  if (!roundTrips) throw new InvalidVersionError(v, `malformed time "${timestamp}"`, { pseudo: true });
  return date;
}

/** The revision (commit hash prefix) of a pseudo-version. Throws for a non-pseudo-version. */
export function pseudoVersionRev(v: string): string {
  return parsePseudoVersion(v).rev;
}

/** Decrements a decimal string; "" when it is zero. */
function decrementDecimal(decimal: string): string {
  if (/^0*$/.test(decimal)) return '';
  return (BigInt(decimal) - 1n).toString();
}

/** Increments a decimal string of any length. */
function incrementDecimal(decimal: string): string {
  return (BigInt(decimal) + 1n).toString();
}

/**
 * The tag a pseudo-version builds on, with its build suffix: "v1.2.4-0.2006...-abc" ->
 * "v1.2.3", "v1.2.3-pre.0.2006...-abc+incompatible" -> "v1.2.3-pre+incompatible", and "" for
 * form (1), which has none. Throws {@link InvalidVersionError} for a non-pseudo-version, for a
 * form (1) with build metadata (no base tag, yet marked incompatible), and for vX.Y.0-0.… (its
 * base would have patch number -1).
 */
export function pseudoVersionBase(v: string): string {
  const { base, build } = parsePseudoVersion(v);
  const pre = semverPrerelease(base);
  if (pre === '') {
    if (build !== '') {
      throw new InvalidVersionError(v, `lacks base version, but has build metadata "${build}"`, { pseudo: true });
    }
    return '';
  }
  if (pre === '-0') {
    const release = base.slice(0, -pre.length);
    const dot = release.lastIndexOf('.');
    const patch = decrementDecimal(release.slice(dot + 1));
    if (patch === '') {
      throw new InvalidVersionError(v, `version before ${release} would have negative patch number`, { pseudo: true });
    }
    return release.slice(0, dot + 1) + patch + build;
  }
  return base.slice(0, -'.0'.length) + build;
}

function utcTimestamp(time: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    String(time.getUTCFullYear()).padStart(4, '0') +
    two(time.getUTCMonth() + 1) +
    two(time.getUTCDate()) +
    two(time.getUTCHours()) +
    two(time.getUTCMinutes()) +
    two(time.getUTCSeconds())
  );
}

/**
 * The pseudo-version of a commit: major is the module's major version ("v2"; "" means v0) and
 * matters only when there is no earlier tag; older is the latest tag before the commit ("" for
 * none, else "v1.2.3", "v1.2.3-pre", possibly "+incompatible"); rev is the 12-character commit
 * hash prefix. Picks form (1), (2) or (3) as described at the top of this file.
 */
export function makePseudoVersion(major: string, older: string, time: Date, rev: string): string {
  const segment = `${utcTimestamp(time)}-${rev}`;
  const build = semverBuild(older);
  const base = canonicalSemver(older);
  if (base === '') return `${major === '' ? 'v0' : major}.0.0-${segment}`;
  if (semverPrerelease(base) !== '') return `${base}.0.${segment}${build}`;
  const dot = base.lastIndexOf('.');
  return `${base.slice(0, dot + 1)}${incrementDecimal(base.slice(dot + 1))}-0.${segment}${build}`;
}

/**
 * The placeholder pseudo-version of a major version ("v2"; "" means v0), with a zero time and
 * revision: "v0.0.0-00010101000000-000000000000".
 */
export function zeroPseudoVersion(major: string): string {
  return `${major === '' ? 'v0' : major}.0.0-00010101000000-000000000000`;
}

/** Whether v is the placeholder pseudo-version {@link zeroPseudoVersion} of its major version. */
export function isZeroPseudoVersion(v: string): boolean {
  return v === zeroPseudoVersion(semverMajor(v));
}

/**
 * Checks what can be checked of a pseudo-version without its repository: its shape, a real
 * timestamp, and a base tag that can exist. Throws {@link InvalidVersionError}.
 */
export function checkPseudoVersion(v: string): void {
  pseudoVersionDate(v);
  pseudoVersionBase(v);
}
