/**
 * Go's own rules as pure functions, with no I/O: module, import and file paths and their
 * !-escaping, Go semantic versions and pseudo-versions, GOPROXY lists, GOPRIVATE-style
 * patterns, and go.mod, go.work and go.sum files. Code outside this folder imports from here only.
 */

export { InvalidPathError, InvalidVersionError, goQuote, goQuoteChar, type PathKind } from './errors.ts';
export {
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
} from './modulePath.ts';
export {
  canonicalSemver,
  canonicalVersion,
  compareSemver,
  isCanonicalVersion,
  isValidSemver,
  maxVersion,
  semverBuild,
  semverMajor,
  semverMajorMinor,
  semverPrerelease,
  sortBySemver,
  sortVersions,
} from './semver.ts';
export {
  checkPseudoVersion,
  isPseudoVersion,
  isZeroPseudoVersion,
  makePseudoVersion,
  pseudoVersionBase,
  pseudoVersionDate,
  pseudoVersionRev,
  pseudoVersionTime,
  zeroPseudoVersion,
} from './pseudoVersion.ts';
export { formatProxyList, parseProxyList, type ProxyEntry } from './proxyList.ts';
export { cleanPath } from './cleanPath.ts';
export { checkPatterns, matchGlob, matchPrefixPatterns, prefixPatternMatcher } from './patterns.ts';
export { govcsAllows, parseGovcs, type VcsRule } from './govcs.ts';
export { formatGoSumLine, GoSumError, parseGoSum, type GoSumLine } from './goSum.ts';
export {
  isLocalReplacement,
  ModFileError,
  parseModFile,
  parseWorkFile,
  type ModFile,
  type ModReplace,
  type ModRequire,
  type WorkFile,
} from './modFile.ts';
export { moduleRequestPath, type ModuleFileKind, type ModuleRequest } from './moduleRequest.ts';
export { isIncompatibleQuery, isVersionQuery, latestVersion } from './versionQuery.ts';
export { GoModSyntaxError, parseGoModString, parseGoModSyntax, unquoteGoString, type GoModLine, type GoModStatement } from './goModSyntax.ts';
export { laxGoDirective } from './goDirective.ts';
export { compareLanguageVersion, languageVersion, supportsGraphPruning } from './goVersion.ts';
export { parseVersionRange, versionInRange, VersionRangeError, type VersionRange } from './versionRange.ts';
