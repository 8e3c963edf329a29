// Which files of a tree go in a module zip, by the rules of golang.org/x/mod/zip
// (Create and its checkFiles, and CreateFromDir's listFilesInDir) as the go
// command applies them to a repository (cmd/go/internal/modfetch/coderepo.go,
// codeRepo.Zip).
//
// The files of module M at version V are given relative to the module root
// (for a module in a sub-directory of its repository, that directory is
// already stripped). Each included file becomes the entry "M@V/<path>"; the
// zip has no directory entries. The rules, in the order x/mod applies them to
// each file (the first that applies decides):
//   - a path that is not clean (Go's path.Clean) or is absolute is an error;
//   - a file in a vendored package is left out: isVendoredPackage, whose rule
//     depends on the language version of the root go.mod's go directive (see
//     isVendoredPackage below);
//   - a file in a nested module is left out: any directory other than the root
//     holding a regular file whose name is "go.mod" in any case starts another
//     module, and everything below it belongs to that module;
//   - ".hg_archival.txt" at the root is left out (hg archive writes it);
//   - the path must pass checkFilePath; a root go.mod must be spelt "go.mod";
//   - no two paths may be equal under case folding, and none may be listed
//     twice or be both a file and a directory (symbolic links count here,
//     before they are left out);
//   - symbolic links are left out;
//   - the declared sizes of the files kept add up to at most 500 MiB; go.mod
//     and LICENSE at the root are at most 16 MiB each;
//   - the zip written is at most 500 MiB.
//
// Which files are "the module's files" depends on where they come from:
//   - tree 'vcs' (the default), the go command's view of a repository: the
//     files a commit tracks under the module's directory, with the content
//     `git archive` gives them (the go command runs it with
//     core.autocrlf=input and core.eol=lf, and export-subst and export-ignore
//     turned off in info/attributes; .gitattributes conversions such as
//     eol=crlf and ident still apply, so a raw blob is not always the
//     content). Directories and git submodules (gitlinks) are dropped before
//     any rule, as codeRepo.Zip drops the directory entries of git's zip.
//     Version-control directories get no special treatment: git cannot track
//     a ".git" path, and a tracked ".hg" or ".svn" directory is part of the
//     module to the go command.
//   - tree 'directory', CreateFromDir's view of a directory on disk: before
//     the rules above, directories named .bzr, .git, .hg or .svn are skipped,
//     a directory whose "go.mod" entry is anything but a directory (a symbolic
//     link too) is a nested module, and everything but a regular file
//     (symbolic links included) is left out without further checks. (A root
//     go.mod that is a symbolic link is not followed for the vendor rule;
//     CreateFromDir's walk follows it.)

import { cleanPath, checkFilePath, compareLanguageVersion } from '../protocol/index.ts';
import { CollisionChecker } from './collisions.ts';
import { messageOf } from './errors.ts';
import { caseFold } from './fold.ts';
import { formatBytes } from './limits.ts';
import type { ZipLimits } from './limits.ts';

export type SourceFile = {
  /** Slash-separated path relative to the MODULE root (already stripped of the sub-directory). */
  path: string;
  /** What the tree holds at path; 'submodule' is a git gitlink. */
  kind: 'file' | 'symlink' | 'directory' | 'submodule';
  /** Size in bytes of the content open() gives (for a file); the size limits are checked on it. */
  size: number;
  /** Opens the content (called at most once per file, only for files that go in the zip). */
  open(): Promise<NodeJS.ReadableStream | Uint8Array>;
};

// x/mod's texts for files left out.
const omittedVendored = 'file is in vendor directory';
const omittedNestedModuleFile = 'file is in another module';
const omittedNestedModuleDir = 'directory is in another module';
const omittedVcsDir = 'directory is a version control repository';
const omittedHgArchival = "file is inserted by 'hg archive' and is always omitted";
const omittedSymlink = 'file is a symbolic link';
const omittedNotRegular = 'not a regular file';
const omittedDirectory = 'directory (a module zip lists files only)';
const omittedSubmodule = 'git submodule (the go command leaves submodules out)';

const vcsDirectoryNames = new Set(['.bzr', '.git', '.hg', '.svn']);

/** At most this many problems are listed in a ZipCheckError; the rest are counted. */
const maxListedProblems = 50;

export type Selection = {
  included: SourceFile[];
  omitted: Array<{ path: string; reason: string }>;
  /** Broken rules, each naming the file; the size rule comes first, as x/mod reports it alone. */
  problems: string[];
};

/**
 * selectModuleFiles applies the rules of the file comment to files; lang is the language
 * version of the root go.mod ("1.24", or '' when unknown).
 */
export function selectModuleFiles(
  files: readonly SourceFile[],
  lang: string,
  limit: ZipLimits,
  tree: 'vcs' | 'directory',
): Selection {
  const omitted: Selection['omitted'] = [];
  const invalid: string[] = [];
  // x/mod reports each path once: the first rule it breaks.
  const reported = new Set<string>();
  const omit = (path: string, reason: string) => {
    if (reported.has(path)) return;
    reported.add(path);
    omitted.push({ path, reason });
  };
  const refuse = (path: string, rule: string) => {
    if (reported.has(path)) return;
    reported.add(path);
    invalid.push(`file ${JSON.stringify(path)}: ${rule}`);
  };

  const candidates = tree === 'vcs' ? repositoryFiles(files, omit) : directoryFiles(files, lang, omit);

  // Directories other than the root that hold a regular go.mod (in any case) start nested modules.
  const nestedModuleDirs = new Set<string>();
  for (const f of candidates) {
    const slash = f.path.lastIndexOf('/');
    if (slash >= 0 && f.kind === 'file' && caseFold(f.path.slice(slash + 1)) === 'go.mod') {
      nestedModuleDirs.add(f.path.slice(0, slash));
    }
  }

  const collisions = new CollisionChecker();
  const included: SourceFile[] = [];
  let sizeProblem: string | undefined;
  let remaining = limit.maxUncompressedBytes;
  for (const f of candidates) {
    const p = f.path;
    if (p !== cleanPath(p)) {
      refuse(p, 'file path is not clean');
      continue;
    }
    if (p.startsWith('/')) {
      refuse(p, 'file path is not relative');
      continue;
    }
    if (isVendoredPackage(p, lang)) {
      omit(p, omittedVendored);
      continue;
    }
    if (parentDirectories(p).some((dir) => nestedModuleDirs.has(dir))) {
      omit(p, omittedNestedModuleFile);
      continue;
    }
    if (p === '.hg_archival.txt') {
      omit(p, omittedHgArchival);
      continue;
    }
    try {
      checkFilePath(p);
    } catch (err) {
      refuse(p, messageOf(err));
      continue;
    }
    if (p.toLowerCase() === 'go.mod' && p !== 'go.mod') {
      refuse(p, 'go.mod files must have lowercase names');
      continue;
    }
    const collision = collisions.check(p, false);
    if (collision !== undefined) {
      refuse(p, collision);
      continue;
    }
    if (f.kind === 'symlink') {
      omit(p, omittedSymlink);
      continue;
    }
    if (f.kind !== 'file') {
      omit(p, omittedNotRegular);
      continue;
    }
    if (!Number.isSafeInteger(f.size) || f.size < 0) {
      refuse(p, `invalid size ${f.size}`);
      continue;
    }
    if (f.size <= remaining) {
      remaining -= f.size;
    } else {
      const max = formatBytes(limit.maxUncompressedBytes);
      sizeProblem ??= `module source tree too large: the files add up to more than ${max} (at file ${JSON.stringify(p)})`;
    }
    if (p === 'go.mod' && f.size > limit.maxGoModBytes) {
      refuse(p, `go.mod file too large: ${formatBytes(f.size)} > ${formatBytes(limit.maxGoModBytes)}`);
      continue;
    }
    if (p === 'LICENSE' && f.size > limit.maxLicenseBytes) {
      refuse(p, `LICENSE file too large: ${formatBytes(f.size)} > ${formatBytes(limit.maxLicenseBytes)}`);
      continue;
    }
    included.push(f);
  }
  const problems = sizeProblem === undefined ? invalid : [sizeProblem, ...invalid];
  return { included, omitted, problems };
}

/** The files of a repository as codeRepo.Zip hands them to Create: no directories, no gitlinks. */
function repositoryFiles(files: readonly SourceFile[], omit: (path: string, reason: string) => void): SourceFile[] {
  const kept: SourceFile[] = [];
  for (const f of files) {
    if (f.kind === 'directory') omit(f.path, omittedDirectory);
    else if (f.kind === 'submodule') omit(f.path, omittedSubmodule);
    else kept.push(f);
  }
  return kept;
}

/**
 * The files of a directory as CreateFromDir's listFilesInDir hands them to Create: walking
 * down, a directory named like a VCS directory, or holding a "go.mod" that is not a directory,
 * is skipped with everything below it; then a file in a vendored package, or that is not a
 * regular file, is left out.
 */
function directoryFiles(
  files: readonly SourceFile[],
  lang: string,
  omit: (path: string, reason: string) => void,
): SourceFile[] {
  const nestedModuleDirs = new Set<string>();
  for (const f of files) {
    if (f.kind !== 'directory' && f.path.endsWith('/go.mod')) nestedModuleDirs.add(f.path.slice(0, -'/go.mod'.length));
  }
  const isVcsDir = (dir: string) => vcsDirectoryNames.has(dir.slice(dir.lastIndexOf('/') + 1));
  const kept: SourceFile[] = [];
  for (const f of files) {
    // The walk meets the directories from the top down; a directory entry meets itself last.
    const dirs = parentDirectories(f.path).reverse();
    if (f.kind === 'directory') dirs.push(f.path);
    const skippedDir = dirs.find((dir) => isVcsDir(dir) || nestedModuleDirs.has(dir));
    if (skippedDir !== undefined) {
      omit(f.path, isVcsDir(skippedDir) ? omittedVcsDir : omittedNestedModuleDir);
    } else if (f.kind === 'directory') {
      omit(f.path, omittedDirectory);
    } else if (isVendoredPackage(f.path, lang)) {
      omit(f.path, omittedVendored);
    } else if (f.kind !== 'file') {
      omit(f.path, omittedNotRegular);
    } else {
      kept.push(f);
    }
  }
  return kept;
}

/** The directories above path, nearest first, without the root: "a/b/c" gives ["a/b", "a"]. */
function parentDirectories(path: string): string[] {
  const dirs: string[] = [];
  for (let slash = path.lastIndexOf('/'); slash > 0; slash = path.lastIndexOf('/', slash - 1)) {
    dirs.push(path.slice(0, slash));
  }
  return dirs;
}

/**
 * isVendoredPackage is x/mod's rule for files that belong to a vendored package, that is to a
 * package whose import path contains (but does not end with) an element "vendor". A file directly
 * in a vendor directory (vendor/x.go) belongs to no vendored package and stays.
 *
 * From language version go1.24 of the root go.mod on, two things changed (x/mod keeps the older
 * behaviour for older modules so that their checksums stay the same):
 *   - vendor/modules.txt is left out; before, it stayed;
 *   - for "/vendor/" below the root, the rest is taken after it (pkg/vendor/vendor.go stays);
 *     before, x/mod skipped len("/vendor/") bytes from the start of the path instead (a bug,
 *     golang.org/issue/37397), which leaves out pkg/vendor/vendor.go.
 */
function isVendoredPackage(name: string, lang: string): boolean {
  const modern = compareLanguageVersion(lang, '1.24') >= 0;
  if (modern && name === 'vendor/modules.txt') return true;
  // x/mod works on the bytes of the name; so does this (offsets may fall inside a character).
  const bytes = Buffer.from(name, 'utf8');
  let i: number;
  if (name.startsWith('vendor/')) {
    i = 'vendor/'.length;
  } else {
    const j = bytes.indexOf('/vendor/');
    if (j < 0) return false;
    i = modern ? j + '/vendor/'.length : '/vendor/'.length;
  }
  return bytes.subarray(i).includes(0x2f);
}

export function listProblems(problems: string[]): string[] {
  if (problems.length <= maxListedProblems) return problems;
  return [...problems.slice(0, maxListedProblems), `and ${problems.length - maxListedProblems} more problems`];
}
