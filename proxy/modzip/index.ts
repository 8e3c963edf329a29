/**
 * Module zips by the golang.org/x/mod/zip rules: build one from a file tree (a
 * repository's or a directory's), check a zip fetched from an upstream, and
 * compute their h1: hash (golang.org/x/mod/sumdb/dirhash) in the same streaming
 * pass; hash a go.mod. Code outside this folder imports from here only.
 */

export {
  createModuleZip,
  withRootLicense,
  type CreateZipOptions,
  type CreateZipResult,
} from './createZip.ts';
export type { SourceFile } from './selectFiles.ts';
export type { ZipSummary } from './checkZip.ts';
export { checkZipFile } from './checkZipPool.ts';
export type { ModuleVersion } from './moduleVersion.ts';
export { hashFileList, hashGoMod, type FileDigest } from './dirhash.ts';
export { ZipCheckError } from './errors.ts';
export { caseFold } from './fold.ts';
export { defaultZipLimits, formatBytes, type ZipLimits } from './limits.ts';
