// Building a module zip from a file tree, by the rules of golang.org/x/mod/zip as the go
// command applies them to a repository: selectFiles.ts chooses the files (its comment states
// the rules), zipWriter.ts writes them.
//
// A module in a sub-directory of its repository that has no LICENSE of its own
// gets the LICENSE at the repository root (codeRepo.Zip reads it with
// `git cat-file blob <rev>:LICENSE`, so a root LICENSE that is a symbolic link
// contributes the link's target text). The caller, which knows the repository,
// adds that file: see withRootLicense.
import { open, rm } from 'node:fs/promises';
import { laxGoDirective, languageVersion } from '../protocol/index.ts';
import { hashFileList } from './dirhash.ts';
import type { FileDigest } from './dirhash.ts';
import { ZipCheckError } from './errors.ts';
import { checkZipModule, type ModuleVersion } from './moduleVersion.ts';
import { defaultZipLimits } from './limits.ts';
import type { ZipLimits } from './limits.ts';
import { listProblems, selectModuleFiles, type SourceFile } from './selectFiles.ts';
import { readAll, ZipWriter } from './zipWriter.ts';

export type CreateZipOptions = {
  /**
   * The version of the root go.mod's go directive as modfile.ParseLax reads it ("1.24",
   * "1.21.3"), or '' for a go.mod without one or that ParseLax refuses. It selects the
   * vendor rule. Omitted (the normal case): read from the root go.mod among the files,
   * exactly as x/mod does.
   */
  goVersion?: string;
  /** Size limits; by default x/mod's (500 MiB zip and content, 16 MiB go.mod and LICENSE). */
  limits?: Partial<ZipLimits>;
  /** Where the files come from: a repository's tracked files ('vcs', the default) or a directory on disk. */
  tree?: 'vcs' | 'directory';
};

export type CreateZipResult = {
  /** The h1: hash of the zip, as go.sum records it for "M V". */
  hash: string;
  /** Number of files in the zip. */
  files: number;
  /** Size of the zip file written. */
  zipBytes: number;
  /** Content of the root go.mod, or null when the zip has none. */
  goMod: Uint8Array | null;
  /** The files and directories left out, with x/mod's reason. */
  omitted: Array<{ path: string; reason: string }>;
};

/**
 * createModuleZip writes the module zip of mod built from files to destinationFile and returns
 * its h1: hash. Files are written in UTF-8 byte order of their paths with fixed timestamps and
 * permissions, so the same files give the same bytes. Each file is streamed once through SHA-256
 * and deflate; only the root go.mod is held in memory. A file tree that breaks a rule throws
 * ZipCheckError listing every file at fault; on any error destinationFile is removed.
 */
export async function createModuleZip(
  destinationFile: string,
  mod: ModuleVersion,
  files: SourceFile[],
  options: CreateZipOptions = {},
): Promise<CreateZipResult> {
  const limit: ZipLimits = { ...defaultZipLimits, ...options.limits };
  checkZipModule(mod, 'create');

  // x/mod reads the root go.mod before anything else: its go directive selects the vendor rule.
  const rootGoMod = files.find((f) => f.path === 'go.mod' && f.kind === 'file');
  let goModData: Uint8Array | null = null;
  if (rootGoMod !== undefined && rootGoMod.size <= limit.maxGoModBytes) {
    goModData = await readAll(await rootGoMod.open(), rootGoMod.size, 'go.mod');
  }
  const goVersion = options.goVersion ?? (goModData === null ? '' : laxGoDirective(goModData));

  const selection = selectModuleFiles(files, languageVersion(goVersion), limit, options.tree ?? 'vcs');
  if (selection.problems.length > 0) throw new ZipCheckError(listProblems(selection.problems));

  const prefix = `${mod.path}@${mod.version}/`;
  const included = selection.included
    .map((file) => ({ file, key: Buffer.from(file.path, 'utf8') }))
    .sort((a, b) => Buffer.compare(a.key, b.key));

  const handle = await open(destinationFile, 'w');
  try {
    const zip = new ZipWriter(handle, limit.maxZipBytes);
    const digests: FileDigest[] = [];
    let goModIncluded = false;
    for (const { file } of included) {
      // The root go.mod, read already, is not opened again.
      const content = file === rootGoMod && goModData !== null ? goModData : await file.open();
      const sha256Hex = await zip.addFile(prefix + file.path, file.path, content, file.size);
      digests.push({ name: prefix + file.path, sha256Hex });
      if (content === goModData) goModIncluded = true;
    }
    const zipBytes = await zip.finish();
    await handle.close();
    return {
      hash: hashFileList(digests),
      files: digests.length,
      zipBytes,
      goMod: goModIncluded ? goModData : null,
      omitted: selection.omitted,
    };
  } catch (err) {
    await handle.close().catch(() => undefined);
    await rm(destinationFile, { force: true });
    throw err;
  }
}

/**
 * withRootLicense adds the repository root's LICENSE to the files of a module that lives in a
 * sub-directory, when the module has no LICENSE of its own, as codeRepo.Zip does. Call it only
 * for a module in a sub-directory (for a module at the repository root the two are one file).
 * rootLicense is the root's "LICENSE" as `git cat-file blob <rev>:LICENSE` gives it: a 'file'
 * SourceFile (for a root LICENSE that is a symbolic link, its target text), or null when the
 * root has no LICENSE blob. A module "has its own LICENSE" when its root lists a file or a
 * symbolic link of that name (a symbolic link counts, and is then left out of the zip).
 */
export function withRootLicense(files: SourceFile[], rootLicense: SourceFile | null): SourceFile[] {
  const hasOwn = files.some((f) => f.path === 'LICENSE' && (f.kind === 'file' || f.kind === 'symlink'));
  if (hasOwn || rootLicense === null) return files;
  return [...files, { ...rootLicense, path: 'LICENSE', kind: 'file' }];
}
