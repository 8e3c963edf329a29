/**
 * Go toolchain and language versions, as go/version reads them (without the "go" prefix):
 * "1.21.3", "1.21rc1", "1.21", "1". The language version of "1.21.3" and "1.21rc1" is "1.21";
 * of "1" and "1.0" it is "1"; of "2" it is "2.0" (go/version.Lang).
 */

/** languageVersion is go/version.Lang without the "go" prefix; '' for anything that is not a Go version. */
export function languageVersion(goVersion: string): string {
  const m = /^(0|[1-9][0-9]*)(?:\.(0|[1-9][0-9]*)(?:\.(0|[1-9][0-9]*)|[a-z]+(?:0|[1-9][0-9]*)?)?)?$/.exec(goVersion);
  if (m === null) return '';
  const major = m[1] ?? '';
  const minor = m[2];
  // Go 1 has language version "1"; from Go 2 on a major alone reads as major.0.
  if (minor === undefined) return major === '1' ? major : `${major}.0`;
  if (major === '1' && minor === '0') return major;
  return `${major}.${minor}`;
}

/** compareLanguageVersion orders language versions ("1.21", "1") as go/version.Compare does; '' is the least. */
export function compareLanguageVersion(a: string, b: string): number {
  if (a === '' || b === '') return a === b ? 0 : a === '' ? -1 : 1;
  const [aMajor = '', aMinor = '0'] = a.split('.');
  const [bMajor = '', bMinor = '0'] = b.split('.');
  return compareDecimal(aMajor, bMajor) || compareDecimal(aMinor, bMinor);
}

function compareDecimal(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The first go version whose go.mod lists every module providing an imported package (gover.ExplicitIndirectVersion). */
const PRUNING_GO_VERSION = '1.17';

/**
 * Whether a go.mod with this go line supports module graph pruning ("Module graph pruning" in the
 * Go modules reference): from go 1.17 on, a module's go.mod lists every module that provides a
 * package it imports, so the go command need not read the go.mod files of that module's
 * dependencies. No go line (undefined) means go 1.16, which does not. A line that only a lax
 * reader accepts ("1.24.x") counts by its major and minor, as modfile.ParseLax reads it.
 */
export function supportsGraphPruning(goLine: string | undefined): boolean {
  if (goLine === undefined) return false;
  const lang = languageVersion(goLine) || (/^v?([1-9][0-9]*\.(?:0|[1-9][0-9]*))[^0-9]/.exec(goLine)?.[1] ?? '');
  return lang !== '' && compareLanguageVersion(lang, PRUNING_GO_VERSION) >= 0;
}
