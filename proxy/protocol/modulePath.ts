/**
 * Module paths, import paths and file paths as the go command accepts them, and the !-escaping
 * that puts module paths and versions into URLs and file names (golang.org/x/mod/module).
 *
 * A path is one or more elements separated by single slashes, with no leading or trailing slash.
 * An element is not empty, is not made of dots only ("." and ".."), does not end in a dot, and its
 * part before the first dot is not a name Windows reserves (CON, PRN, AUX, NUL, COM1-9, LPT1-9, in
 * any case). Import and module path elements also must not end in "~" and digits (a Windows
 * short name such as "PROGRA~1"). The three kinds differ in the characters they allow:
 *
 * - a module path element: ASCII letters and digits and "-._~";
 *   the first element (a domain name) only lower-case letters, digits, "-" and "." and at least
 *   one dot; no element starts with a dot; the path does not start with a dash; and a final
 *   element /vN must be a major version suffix with N >= 2 and no leading zero (gopkg.in paths
 *   instead end in .vN, for any N);
 * - an import path element: as a module path element, plus "+";
 * - a file path element (a name in a module zip): any Unicode letter, ASCII digits, the space and
 *   "!#$%&()+,-.=@[]^_{}~"; it may start with a dot or a dash.
 *
 * Escaping: URLs and file systems may not keep "rsc.io/QUOTE" and "rsc.io/quote" apart, so every
 * upper-case letter is written as "!" and the letter in lower case ("github.com/Azure" ->
 * "github.com/!azure"). Paths never contain "!", so the escaping needs no escape of its own.
 */

import { InvalidPathError, InvalidVersionError, goQuote, goQuoteChar, type PathKind } from './errors.ts';
import { isValidSemver, semverBuild, semverMajor } from './semver.ts';

const windowsReservedNames = new Set([
  'CON', 'PRN', 'AUX', 'NUL',
  'COM1', 'COM2', 'COM3', 'COM4', 'COM5', 'COM6', 'COM7', 'COM8', 'COM9',
  'LPT1', 'LPT2', 'LPT3', 'LPT4', 'LPT5', 'LPT6', 'LPT7', 'LPT8', 'LPT9',
]);

const asciiAlphanumeric = /^[0-9A-Za-z]$/;
const fileNamePunctuation = '!#$%&()+,-.=@[]^_{}~ ';
const unicodeLetter = /^\p{L}$/u;

function charAllowed(ch: string, kind: PathKind): boolean {
  if (asciiAlphanumeric.test(ch)) return true;
  switch (kind) {
    case 'module path':
      return '-._~'.includes(ch);
    case 'import path':
      return '-._~+'.includes(ch);
    case 'file path':
      // Shell and operating-system specials (" ' * < > ? ` | / \ :) stay out.
      return fileNamePunctuation.includes(ch) || unicodeLetter.test(ch);
  }
}

/** The rule one path element breaks, or null. */
function elementProblem(elem: string, kind: PathKind): string | null {
  if (elem === '') return 'empty path element';
  if (/^\.+$/.test(elem)) return `invalid path element ${goQuote(elem)}`;
  if (elem.startsWith('.') && kind === 'module path') return 'leading dot in path element';
  if (elem.endsWith('.')) return 'trailing dot in path element';
  for (const ch of elem) {
    if (!charAllowed(ch, kind)) return `invalid char ${goQuoteChar(ch)}`;
  }
  const dot = elem.indexOf('.');
  const short = dot < 0 ? elem : elem.slice(0, dot);
  if (windowsReservedNames.has(short.toUpperCase())) {
    return `${goQuote(short)} disallowed as path element component on Windows`;
  }
  // Short names are a hazard for import paths only; file names in zips may look like them.
  if (kind !== 'file path' && /~[0-9]+$/.test(short)) return 'trailing tilde and digits in path element';
  return null;
}

/** The rule a path of the given kind breaks, judging only what all three kinds share, or null. */
function pathProblem(path: string, kind: PathKind): string | null {
  if (!path.isWellFormed()) return 'invalid UTF-8';
  if (path === '') return 'empty string';
  if (path.startsWith('-') && kind !== 'file path') return 'leading dash';
  if (path.includes('//')) return 'double slash';
  if (path.endsWith('/')) return 'trailing slash';
  if (path.startsWith('/')) return 'leading slash';
  for (const elem of path.split('/')) {
    const problem = elementProblem(elem, kind);
    if (problem !== null) return problem;
  }
  return null;
}

/**
 * Checks a module path ("golang.org/x/text", "rsc.io/quote/v3", "gopkg.in/yaml.v3");
 * throws {@link InvalidPathError} naming the path and the rule it breaks.
 */
export function checkModulePath(path: string): void {
  const problem = modulePathProblem(path);
  if (problem !== null) throw new InvalidPathError('module path', path, problem);
}

function modulePathProblem(path: string): string | null {
  const problem = pathProblem(path, 'module path');
  if (problem !== null) return problem;
  const slash = path.indexOf('/');
  const first = slash < 0 ? path : path.slice(0, slash);
  if (!first.includes('.')) return 'missing dot in first path element';
  for (const ch of first) {
    if (!/^[-.0-9a-z]$/.test(ch)) return `invalid char ${goQuoteChar(ch)} in first path element`;
  }
  if (splitPathVersion(path) === null) {
    return path.startsWith('gopkg.in/')
      ? 'a gopkg.in path must end in .vN (N without leading zeros), optionally followed by -unstable'
      : `invalid major version suffix ${goQuote(path.slice(path.lastIndexOf('/')))}: must be /vN with N >= 2, without leading zeros or dots`;
  }
  return null;
}

/** Checks an import path (a module path's rules minus the first-element and /vN rules, plus "+"). */
export function checkImportPath(path: string): void {
  const problem = pathProblem(path, 'import path');
  if (problem !== null) throw new InvalidPathError('import path', path, problem);
}

/** Checks a slash-separated file path, as used for the names of files in a module zip. */
export function checkFilePath(path: string): void {
  const problem = pathProblem(path, 'file path');
  if (problem !== null) throw new InvalidPathError('file path', path, problem);
}

/**
 * Splits a module path into its prefix and its major version suffix, so that
 * prefix + pathMajor === path: "a.com/x/v2" -> {prefix: "a.com/x", pathMajor: "/v2"},
 * "a.com/x" -> {prefix: "a.com/x", pathMajor: ""}, "gopkg.in/yaml.v2" -> {prefix:
 * "gopkg.in/yaml", pathMajor: ".v2"}. A suffix is /vN with N >= 2 and no leading zero; gopkg.in
 * paths must end in .vN (any N, "-unstable" allowed after it). null when the final element breaks
 * those rules ("a.com/x/v1", "a.com/x/v2.0", "gopkg.in/yaml").
 */
export function splitPathVersion(path: string): { prefix: string; pathMajor: string } | null {
  if (path.startsWith('gopkg.in/')) {
    // ".v0-unstable" is not a suffix: "-unstable" only follows a major version >= 1.
    const m = /^(.*)(\.v(?:0|[1-9][0-9]*(?:-unstable)?))$/.exec(path);
    if (!m || m[1] === undefined || m[2] === undefined) return null;
    return { prefix: m[1], pathMajor: m[2] };
  }
  // A final element of "v" and digits (and dots) is meant as a major version suffix.
  const m = /^(.*)(\/v[0-9.]+)$/.exec(path);
  if (!m || m[1] === undefined || m[2] === undefined) return { prefix: path, pathMajor: '' };
  const pathMajor = m[2];
  if (!/^\/v[1-9][0-9]*$/.test(pathMajor) || pathMajor === '/v1') return null;
  return { prefix: m[1], pathMajor };
}

/**
 * Checks that version fits the major version suffix of its module path (as returned by
 * {@link splitPathVersion}): no suffix takes v0 and v1, or any version marked "+incompatible";
 * "/vN" and ".vN" take vN only. gopkg.in's ".v1" also takes v0.0.0- pseudo-versions, which
 * early module-aware go commands wrote. Throws {@link InvalidVersionError}.
 */
export function checkPathMajor(version: string, pathMajor: string): void {
  let suffix = pathMajor;
  if (suffix.startsWith('.v') && suffix.endsWith('-unstable')) suffix = suffix.slice(0, -'-unstable'.length);
  if (version.startsWith('v0.0.0-') && suffix === '.v1') return;
  const major = semverMajor(version);
  let want: string;
  if (suffix === '') {
    if (major === 'v0' || major === 'v1' || semverBuild(version) === '+incompatible') return;
    want = 'v0 or v1';
  } else if (suffix.startsWith('/') || suffix.startsWith('.')) {
    if (major === suffix.slice(1)) return;
    want = suffix.slice(1);
  } else {
    want = suffix;
  }
  throw new InvalidVersionError(version, `should be ${want}, not ${major === '' ? 'an invalid version' : major}`);
}

/**
 * The major version a path's suffix implies, as a tag prefix: "/v2" -> "v2", ".v1-unstable" ->
 * "v1", "" -> "" (v0 or v1). Throws for a string that is not a suffix from {@link splitPathVersion}.
 */
export function pathMajorPrefix(pathMajor: string): string {
  if (pathMajor === '') return '';
  let suffix = pathMajor;
  if (suffix.startsWith('.v') && suffix.endsWith('-unstable')) suffix = suffix.slice(0, -'-unstable'.length);
  const major = suffix.slice(1);
  if ((!suffix.startsWith('/') && !suffix.startsWith('.')) || !/^v(0|[1-9][0-9]*)$/.test(major)) {
    throw new Error(`pathMajorPrefix: ${goQuote(pathMajor)} is not a major version suffix like "/v2" or ".v1"`);
  }
  return major;
}

/**
 * Checks a module path and version pair the way the go command does before it uses one: a valid
 * module path, a valid semantic version, and a version that fits the path's major version suffix
 * ("rsc.io/quote/v3" takes v3.x.y only). Throws {@link InvalidPathError} or {@link InvalidVersionError}.
 */
export function checkModuleVersion(path: string, version: string): void {
  checkModulePath(path);
  if (!isValidSemver(version)) throw new InvalidVersionError(version, 'not a semantic version');
  checkPathMajor(version, splitPathVersion(path)?.pathMajor ?? '');
}

/** Replaces each upper-case letter with "!" and the letter in lower case. */
function escapeUpperCase(s: string): string {
  return s.replace(/[A-Z]/g, (upper) => '!' + upper.toLowerCase());
}

/**
 * Reverses {@link escapeUpperCase}; returns the reason when escaped is not a valid escaping:
 * an upper-case letter (it must have been written "!x"), a "!" not followed by a lower-case
 * letter, or a non-ASCII character.
 */
function unescapeUpperCase(escaped: string): { value: string } | { problem: string } {
  const chars = Array.from(escaped);
  let value = '';
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] ?? '';
    if (ch > '\x7f') return { problem: `invalid char ${goQuoteChar(ch)} in escaped form (ASCII only)` };
    if (ch >= 'A' && ch <= 'Z') {
      return { problem: `upper-case ${goQuoteChar(ch)} in escaped form (it is written "!${ch.toLowerCase()}")` };
    }
    if (ch !== '!') {
      value += ch;
      continue;
    }
    const next = chars[++i];
    if (next === undefined || next < 'a' || next > 'z') {
      return { problem: '"!" not followed by a lower-case letter in escaped form' };
    }
    value += next.toUpperCase();
  }
  return { value };
}

/**
 * The escaped form of a module path, for URLs and file names: "github.com/BurntSushi/toml" ->
 * "github.com/!burnt!sushi/toml". Throws {@link InvalidPathError} when the path is invalid.
 */
export function escapePath(path: string): string {
  checkModulePath(path);
  return escapeUpperCase(path);
}

/**
 * The module path an escaped path stands for: "github.com/!burnt!sushi/toml" ->
 * "github.com/BurntSushi/toml". Throws {@link InvalidPathError} when the escaping is malformed
 * (upper case, "!!", "!A", "!" at the end) or the path it stands for is not a valid module path.
 */
export function unescapePath(escaped: string): string {
  const result = unescapeUpperCase(escaped);
  if ('problem' in result) throw new InvalidPathError('module path', escaped, result.problem);
  checkModulePath(result.value);
  return result.value;
}

/** The rule a version breaks as a file name (its escaped form names files and URL segments). */
function versionNameProblem(v: string): string | null {
  if (v.includes('!')) return 'disallowed version string: contains "!"';
  const problem = v.includes('/') ? 'contains "/"' : elementProblem(v, 'file path');
  return problem === null ? null : `disallowed version string: ${problem}`;
}

/**
 * The escaped form of a version: "v1.0.0-RC1" -> "v1.0.0-!r!c1". Versions need not be semantic
 * versions here (queries such as "master" are escaped too), but they must be valid file names
 * without "!". Throws {@link InvalidVersionError}.
 */
export function escapeVersion(v: string): string {
  const problem = versionNameProblem(v);
  if (problem !== null) throw new InvalidVersionError(v, problem);
  return escapeUpperCase(v);
}

/** The version an escaped version stands for; throws {@link InvalidVersionError} when malformed. */
export function unescapeVersion(escaped: string): string {
  const result = unescapeUpperCase(escaped);
  if ('problem' in result) throw new InvalidVersionError(escaped, result.problem);
  const problem = versionNameProblem(result.value);
  if (problem !== null) throw new InvalidVersionError(result.value, problem);
  return result.value;
}
