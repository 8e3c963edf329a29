/**
 * Module zips by the golang.org/x/mod/zip rules: check a zip fetched from an
 * upstream and compute its h1: hash (golang.org/x/mod/sumdb/dirhash) in one
 * streaming pass; hash a go.mod. Code outside this folder imports from here only.
 */

export { checkZipFile, type ModuleVersion, type ZipSummary } from './checkZip.ts';
export { hashFileList, hashGoMod, type FileDigest } from './dirhash.ts';
export { ZipCheckError } from './errors.ts';
export { caseFold } from './fold.ts';
export { defaultZipLimits, type ZipLimits } from './limits.ts';
