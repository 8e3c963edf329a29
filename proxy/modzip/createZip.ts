// Building a module zip from a file tree, by the rules of golang.org/x/mod/zip
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
//
// A module in a sub-directory of its repository that has no LICENSE of its own
// gets the LICENSE at the repository root (codeRepo.Zip reads it with
// `git cat-file blob <rev>:LICENSE`, so a root LICENSE that is a symbolic link
// contributes the link's target text). The caller, which knows the repository,
// adds that file: see withRootLicense.

import { createHash } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { crc32, createDeflateRaw, deflateRaw, deflateRawSync } from 'node:zlib';
import type { ZlibOptions } from 'node:zlib';
import {
  canonicalVersion,
  cleanPath,
  checkFilePath,
  checkPathMajor,
  splitPathVersion,
} from '../protocol/index.ts';
import { CollisionChecker } from './collisions.ts';
import { hashFileList } from './dirhash.ts';
import type { FileDigest } from './dirhash.ts';
import { messageOf, ZipCheckError } from './errors.ts';
import { caseFold } from './fold.ts';
import { checkZipModule, type ModuleVersion } from './moduleVersion.ts';
import { defaultZipLimits, formatBytes } from './limits.ts';
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
  const goVersion = options.goVersion ?? (goModData === null ? '' : goDirectiveVersion(goModData));

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

// ---------------------------------------------------------------------------------------------
// Which files go in the zip.

type Selection = {
  included: SourceFile[];
  omitted: Array<{ path: string; reason: string }>;
  /** Broken rules, each naming the file; the size rule comes first, as x/mod reports it alone. */
  problems: string[];
};

/**
 * selectModuleFiles applies the rules of the file comment to files; lang is the language
 * version of the root go.mod ("1.24", or '' when unknown).
 */
function selectModuleFiles(
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

function listProblems(problems: string[]): string[] {
  if (problems.length <= maxListedProblems) return problems;
  return [...problems.slice(0, maxListedProblems), `and ${problems.length - maxListedProblems} more problems`];
}

// ---------------------------------------------------------------------------------------------
// The go directive as x/mod's zip package sees it: modfile.ParseLax, then go/version.Lang.

/**
 * goDirectiveVersion returns the version of go.mod's go directive as modfile.ParseLax reads it
 * (laxly fixed: "1.24.x" reads as "1.24"), or '' when there is none or ParseLax fails: a syntax
 * error, or an error in one of the directives it reads for a dependency (go, module, require,
 * ignore). Other directives are not looked at, as in ParseLax.
 */
function goDirectiveVersion(goMod: Uint8Array): string {
  let tokens: GoModToken[];
  let statements: GoModStatement[];
  try {
    tokens = lexGoMod(new TextDecoder('utf-8', { ignoreBOM: true }).decode(goMod));
    statements = parseGoModStatements(tokens);
  } catch (err) {
    if (err instanceof GoModSyntaxError) return '';
    throw err;
  }
  const state: LaxState = { go: undefined, haveModule: false };
  for (const stmt of statements) {
    const verb = stmt.tokens[0] ?? '';
    if (stmt.lines === undefined) {
      if (!laxDirective(state, verb, stmt.tokens.slice(1))) return '';
    } else if (stmt.tokens.length === 1 && blockVerbs.has(verb)) {
      for (const line of stmt.lines) if (!laxDirective(state, verb, line)) return '';
    }
  }
  return state.go ?? '';
}

const blockVerbs = new Set(['module', 'godebug', 'require', 'exclude', 'replace', 'retract', 'tool', 'ignore']);
const goVersionRE = /^([1-9][0-9]*)\.(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))?([a-z]+[0-9]+)?$/;
const laxGoVersionRE = /^v?(([1-9][0-9]*)\.(0|[1-9][0-9]*))([^0-9][\s\S]*)$/;

type LaxState = { go: string | undefined; haveModule: boolean };

/** laxDirective applies one directive as ParseLax does and says whether it is free of errors. */
function laxDirective(state: LaxState, verb: string, args: string[]): boolean {
  switch (verb) {
    case 'go': {
      if (state.go !== undefined || args.length !== 1) return false;
      const v = args[0] ?? '';
      if (goVersionRE.test(v)) {
        state.go = v;
        return true;
      }
      const lax = laxGoVersionRE.exec(v);
      if (lax === null) return false;
      state.go = lax[1];
      return true;
    }
    case 'module':
      if (state.haveModule) return false;
      state.haveModule = true;
      return args.length === 1 && parseGoModString(args[0] ?? '') !== undefined;
    case 'require': {
      if (args.length !== 2) return false;
      const path = parseGoModString(args[0] ?? '');
      const version = parseGoModString(args[1] ?? '');
      if (path === undefined || version === undefined) return false;
      const canonical = canonicalVersion(version);
      const split = splitPathVersion(path);
      if (canonical === '' || split === null) return false;
      try {
        checkPathMajor(canonical, split.pathMajor);
      } catch {
        return false;
      }
      return true;
    }
    case 'ignore':
      return args.length === 1 && parseGoModString(args[0] ?? '') !== undefined;
    default:
      // retract: lax parsing ignores bad intervals; everything else is not read at all.
      return true;
  }
}

/** modfile's parseString: a double-quoted Go string, or a bare token without quote characters. */
function parseGoModString(token: string): string | undefined {
  if (token.startsWith('"')) return unquoteGoString(token);
  if (/["'`]/.test(token)) return undefined;
  return token;
}

/** strconv.Unquote for a double-quoted Go string literal; undefined when it is not one. */
function unquoteGoString(literal: string): string | undefined {
  if (literal.length < 2 || !literal.startsWith('"') || !literal.endsWith('"')) return undefined;
  const body = literal.slice(1, -1);
  const bytes: number[] = [];
  const simple: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, '"': 34 };
  const hexLength: Record<string, number> = { x: 2, u: 4, U: 8 };
  for (let i = 0; i < body.length; ) {
    const ch = String.fromCodePoint(body.codePointAt(i) ?? 0);
    if (ch === '"' || ch === '\n') return undefined;
    if (ch !== '\\') {
      bytes.push(...Buffer.from(ch, 'utf8'));
      i += ch.length;
      continue;
    }
    const esc = body[i + 1];
    if (esc === undefined) return undefined;
    const simpleByte = simple[esc];
    const digits = hexLength[esc];
    if (simpleByte !== undefined) {
      bytes.push(simpleByte);
      i += 2;
    } else if (digits !== undefined) {
      const hex = body.slice(i + 2, i + 2 + digits);
      if (!new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(hex)) return undefined;
      const value = Number.parseInt(hex, 16);
      if (esc === 'x') {
        bytes.push(value);
      } else {
        if (value > 0x10ffff || (value >= 0xd800 && value < 0xe000)) return undefined;
        bytes.push(...Buffer.from(String.fromCodePoint(value), 'utf8'));
      }
      i += 2 + digits;
    } else if (esc >= '0' && esc <= '7') {
      const octal = body.slice(i + 1, i + 4);
      if (!/^[0-7]{3}$/.test(octal)) return undefined;
      const value = Number.parseInt(octal, 8);
      if (value > 255) return undefined;
      bytes.push(value);
      i += 4;
    } else {
      return undefined;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

class GoModSyntaxError extends Error {}

type GoModTokenKind =
  | 'eof'
  | 'eolComment'
  | 'comment'
  | 'ident'
  | 'string'
  | '\n' | '(' | ')' | '[' | ']' | '{' | '}' | ',';
type GoModToken = { kind: GoModTokenKind; text: string };

const punctuation = new Set(['\n', '(', ')', '[', ']', '{', '}', ',']);

/** modfile's isIdent: printable, not a space, not one of " ()[]{},". */
function isIdentChar(ch: string): boolean {
  return !' ()[]{},'.includes(ch) && /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(ch);
}

/** lexGoMod splits go.mod text into modfile's tokens, throwing GoModSyntaxError where modfile does. */
function lexGoMod(text: string): GoModToken[] {
  const tokens: GoModToken[] = [];
  let i = 0;
  for (;;) {
    // Spaces; a comment is its own token, with the newline that ends it.
    let comment: GoModToken | undefined;
    while (i < text.length) {
      const c = text[i];
      if (c === ' ' || c === '\t' || c === '\r') {
        i++;
        continue;
      }
      if (text.startsWith('//', i)) {
        const lineStart = i === 0 ? 0 : text.lastIndexOf('\n', i - 1) + 1;
        const afterCode = text.slice(lineStart, i).trim() !== '';
        const end = text.indexOf('\n', i);
        comment = { kind: afterCode ? 'eolComment' : 'comment', text: text.slice(i, end < 0 ? text.length : end) };
        i = end < 0 ? text.length : end + 1;
        break;
      }
      if (text.startsWith('/*', i)) throw new GoModSyntaxError('mod files must use // comments');
      break;
    }
    if (comment !== undefined) {
      tokens.push(comment);
      continue;
    }
    if (i >= text.length) {
      tokens.push({ kind: 'eof', text: '' });
      return tokens;
    }
    const c = text[i] ?? '';
    if (punctuation.has(c)) {
      tokens.push({ kind: c as GoModTokenKind, text: c });
      i++;
      continue;
    }
    const start = i;
    if (c === '"' || c === '`') {
      i++;
      for (;;) {
        if (i >= text.length) throw new GoModSyntaxError('unexpected EOF in string');
        const d = text[i];
        if (d === '\n') throw new GoModSyntaxError('unexpected newline in string');
        i++;
        if (d === c) break;
        if (d === '\\' && c !== '`') {
          if (i >= text.length) throw new GoModSyntaxError('unexpected EOF in string');
          i++;
        }
      }
      tokens.push({ kind: 'string', text: text.slice(start, i) });
      continue;
    }
    for (;;) {
      const ch = String.fromCodePoint(text.codePointAt(i) ?? 0);
      if (i >= text.length || !isIdentChar(ch) || text.startsWith('//', i)) break;
      if (text.startsWith('/*', i)) throw new GoModSyntaxError('mod files must use // comments');
      i += ch.length;
    }
    if (i === start) throw new GoModSyntaxError(`unexpected input character ${JSON.stringify(c)}`);
    tokens.push({ kind: 'ident', text: text.slice(start, i) });
  }
}

/** A line (lines undefined) or a block "verb (" ... ")" with its lines. */
type GoModStatement = { tokens: string[]; lines?: string[][] };

const isEndOfLine = (kind: GoModTokenKind) => kind === 'eof' || kind === 'eolComment' || kind === '\n';

/** parseGoModStatements is modfile's parseFile, parseStmt, parseLineBlock and parseLine. */
function parseGoModStatements(tokens: GoModToken[]): GoModStatement[] {
  let k = 0;
  const eof: GoModToken = { kind: 'eof', text: '' };
  const peek = (): GoModTokenKind => (tokens[k] ?? eof).kind;
  const lex = (): GoModToken => {
    const token = tokens[k] ?? eof;
    if (k < tokens.length - 1) k++;
    return token;
  };
  const statements: GoModStatement[] = [];

  const parseLine = (): string[] => {
    const line = [lex().text];
    for (let t = lex(); !isEndOfLine(t.kind); t = lex()) line.push(t.text);
    return line;
  };
  const parseBlock = (tokensBefore: string[]): GoModStatement => {
    const lines: string[][] = [];
    for (;;) {
      const kind = peek();
      if (kind === 'eolComment' || kind === '\n' || kind === 'comment') {
        lex();
      } else if (kind === 'eof') {
        throw new GoModSyntaxError('syntax error (unterminated block)');
      } else if (kind === ')') {
        lex();
        if (!isEndOfLine(peek())) throw new GoModSyntaxError('syntax error (expected newline after closing paren)');
        lex();
        return { tokens: tokensBefore, lines };
      } else {
        lines.push(parseLine());
      }
    }
  };
  const parseStatement = (): GoModStatement => {
    const stmtTokens = [lex().text];
    for (;;) {
      const t = lex();
      if (isEndOfLine(t.kind)) return { tokens: stmtTokens };
      if (t.kind !== '(') {
        stmtTokens.push(t.text);
      } else if (isEndOfLine(peek())) {
        return parseBlock(stmtTokens);
      } else if (peek() === ')') {
        lex();
        if (isEndOfLine(peek())) {
          lex();
          return { tokens: stmtTokens, lines: [] };
        }
        stmtTokens.push('(', ')');
      } else {
        stmtTokens.push('(');
      }
    }
  };

  for (;;) {
    const kind = peek();
    if (kind === 'eof') return statements;
    if (kind === '\n' || kind === 'comment') lex();
    else statements.push(parseStatement());
  }
}

/**
 * languageVersion is go/version.Lang without the "go" prefix: "1.21.3" and "1.21rc1" give
 * "1.21", "1" and "1.0" give "1", and anything that is not a Go version gives ''.
 */
function languageVersion(goVersion: string): string {
  const m = /^(0|[1-9][0-9]*)(?:\.(0|[1-9][0-9]*)(?:\.(0|[1-9][0-9]*)|[a-z]+(?:0|[1-9][0-9]*)?)?)?$/.exec(goVersion);
  if (m === null) return '';
  const major = m[1] ?? '';
  const minor = m[2];
  if (minor === undefined || (major === '1' && minor === '0')) return major;
  return `${major}.${minor}`;
}

/** compareLanguageVersion orders language versions as go/version.Compare does; '' is the least. */
function compareLanguageVersion(a: string, b: string): number {
  if (a === '' || b === '') return a === b ? 0 : a === '' ? -1 : 1;
  const [aMajor = '', aMinor = '0'] = a.split('.');
  const [bMajor = '', bMinor = '0'] = b.split('.');
  return compareDecimal(aMajor, bMajor) || compareDecimal(aMinor, bMinor);
}

function compareDecimal(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Writing the zip.

/** Zip format constants (PKWARE APPNOTE). */
const localHeaderSignature = 0x04034b50;
const centralHeaderSignature = 0x02014b50;
const endOfCentralDirectorySignature = 0x06054b50;
const zip64EndSignature = 0x06064b50;
const zip64LocatorSignature = 0x07064b50;
const versionNeededDeflate = 20;
const versionNeededZip64 = 45;
/** Made by Unix (3), spec 2.0: the external attributes then carry a Unix mode. */
const versionMadeBy = (3 << 8) | versionNeededDeflate;
const methodDeflate = 8;
const flagUtf8 = 0x800;
/** 1980-01-01 00:00, the earliest MS-DOS date: every entry gets it, for byte-identical zips. */
const dosDate = (1 << 5) | 1;
const dosTime = 0;
/** A regular file, rw-r--r--: Go ignores permissions, so every file gets the same. */
const externalAttributes = (0o100644 << 16) >>> 0;
const max32 = 0xffffffff;
const max16 = 0xffff;

const flushBytes = 1 << 20;
const syncDeflateBytes = 64 << 10;
const deflateOptions: ZlibOptions = { chunkSize: 256 << 10 };
const deflateBuffer = promisify(deflateRaw) as (data: Uint8Array, options: ZlibOptions) => Promise<Buffer>;

type CentralEntry = { name: Buffer; flags: number; crc: number; compressedSize: number; size: number; offset: number };

/**
 * ZipWriter appends deflated entries to a file and writes the central directory at the end.
 * Writes are batched; each local header is completed (CRC-32 and sizes) once its data is written,
 * in the batch when it is still there, else in place in the file.
 */
class ZipWriter {
  readonly #handle: FileHandle;
  readonly #maxBytes: number;
  readonly #entries: CentralEntry[] = [];
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #flushedTo = 0;
  #position = 0;

  constructor(handle: FileHandle, maxBytes: number) {
    this.#handle = handle;
    this.#maxBytes = maxBytes;
  }

  /**
   * addFile writes the entry name, deflated, and returns the hex SHA-256 of its content; path
   * names the file in errors.
   */
  async addFile(
    name: string,
    path: string,
    content: NodeJS.ReadableStream | Uint8Array,
    declaredSize: number,
  ): Promise<string> {
    const nameBytes = Buffer.from(name, 'utf8');
    const flags = /^[\x00-\x7f]*$/.test(name) ? 0 : flagUtf8;
    const offset = this.#position;
    const header = Buffer.alloc(30 + nameBytes.length);
    header.writeUInt32LE(localHeaderSignature, 0);
    header.writeUInt16LE(versionNeededDeflate, 4);
    header.writeUInt16LE(flags, 6);
    header.writeUInt16LE(methodDeflate, 8);
    header.writeUInt16LE(dosTime, 10);
    header.writeUInt16LE(dosDate, 12);
    // CRC-32 and sizes at 14..26 are filled in below.
    header.writeUInt16LE(nameBytes.length, 26);
    header.writeUInt16LE(0, 28);
    nameBytes.copy(header, 30);
    await this.#append(header);

    const sha = createHash('sha256');
    let crc = 0;
    let size = 0;
    const dataStart = this.#position;
    const tooLarge = () =>
      new ZipCheckError(`file ${JSON.stringify(path)}: larger than its declared size (${formatBytes(declaredSize)})`);
    // A small file is read whole (a deflate stream for each of many small files costs more than the files).
    if (!(content instanceof Uint8Array) && declaredSize <= syncDeflateBytes) {
      content = await readAll(content, declaredSize, path);
    }
    if (content instanceof Uint8Array) {
      if (content.length > declaredSize) throw tooLarge();
      size = content.length;
      sha.update(content);
      crc = crc32(content);
      // Small files are deflated at once, into a buffer of about their size: a trip to the
      // thread pool, or a large output buffer, costs more than the work.
      const deflated =
        content.length <= syncDeflateBytes
          ? deflateRawSync(content, { chunkSize: Math.max(1024, content.length + 64) })
          : await deflateBuffer(content, deflateOptions);
      await this.#append(deflated);
    } else {
      await pipeline(
        content,
        async function* measure(source: AsyncIterable<Buffer | string>) {
          for await (const chunk of source) {
            const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
            size += bytes.length;
            if (size > declaredSize) throw tooLarge();
            sha.update(bytes);
            crc = crc32(bytes, crc);
            yield bytes;
          }
        },
        createDeflateRaw(deflateOptions),
        async (deflated: AsyncIterable<Buffer>) => {
          for await (const chunk of deflated) await this.#append(chunk);
        },
      );
    }
    if (size < declaredSize) {
      throw new ZipCheckError(
        `file ${JSON.stringify(path)}: ${formatBytes(size)}, less than its declared size (${formatBytes(declaredSize)})`,
      );
    }
    const compressedSize = this.#position - dataStart;
    if (compressedSize >= max32 || size >= max32 || offset >= max32) {
      throw new ZipCheckError(`file ${JSON.stringify(path)}: beyond 4 GiB (zip64 entries are not written)`);
    }
    header.writeUInt32LE(crc >>> 0, 14);
    header.writeUInt32LE(compressedSize, 18);
    header.writeUInt32LE(size, 22);
    if (offset < this.#flushedTo) await this.#writeAt(header.subarray(14, 26), offset + 14);
    this.#entries.push({ name: nameBytes, flags, crc: crc >>> 0, compressedSize, size, offset });
    return sha.digest('hex');
  }

  /**
   * finish writes the central directory, with zip64 end records when there are 65535 entries or
   * more, and returns the size of the zip.
   */
  async finish(): Promise<number> {
    const centralStart = this.#position;
    for (const e of this.#entries) {
      const h = Buffer.alloc(46 + e.name.length);
      h.writeUInt32LE(centralHeaderSignature, 0);
      h.writeUInt16LE(versionMadeBy, 4);
      h.writeUInt16LE(versionNeededDeflate, 6);
      h.writeUInt16LE(e.flags, 8);
      h.writeUInt16LE(methodDeflate, 10);
      h.writeUInt16LE(dosTime, 12);
      h.writeUInt16LE(dosDate, 14);
      h.writeUInt32LE(e.crc, 16);
      h.writeUInt32LE(e.compressedSize, 20);
      h.writeUInt32LE(e.size, 24);
      h.writeUInt16LE(e.name.length, 28);
      // Extra field, comment, disk number start and internal attributes: 0.
      h.writeUInt32LE(externalAttributes, 38);
      h.writeUInt32LE(e.offset, 42);
      e.name.copy(h, 46);
      await this.#append(h);
    }
    const centralSize = this.#position - centralStart;
    const count = this.#entries.length;
    const zip64 = count >= max16 || centralStart >= max32 || centralSize >= max32;
    if (zip64) {
      const recordStart = this.#position;
      const record = Buffer.alloc(56);
      record.writeUInt32LE(zip64EndSignature, 0);
      record.writeBigUInt64LE(44n, 4);
      record.writeUInt16LE((3 << 8) | versionNeededZip64, 12);
      record.writeUInt16LE(versionNeededZip64, 14);
      // Disk numbers at 16 and 20: 0.
      record.writeBigUInt64LE(BigInt(count), 24);
      record.writeBigUInt64LE(BigInt(count), 32);
      record.writeBigUInt64LE(BigInt(centralSize), 40);
      record.writeBigUInt64LE(BigInt(centralStart), 48);
      const locator = Buffer.alloc(20);
      locator.writeUInt32LE(zip64LocatorSignature, 0);
      locator.writeBigUInt64LE(BigInt(recordStart), 8);
      locator.writeUInt32LE(1, 16);
      await this.#append(record);
      await this.#append(locator);
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(endOfCentralDirectorySignature, 0);
    end.writeUInt16LE(Math.min(count, max16), 8);
    end.writeUInt16LE(Math.min(count, max16), 10);
    end.writeUInt32LE(Math.min(centralSize, max32), 12);
    end.writeUInt32LE(Math.min(centralStart, max32), 16);
    await this.#append(end);
    await this.#flush();
    return this.#position;
  }

  async #append(chunk: Buffer): Promise<void> {
    this.#position += chunk.length;
    if (this.#position > this.#maxBytes) {
      throw new ZipCheckError(`module zip too large: more than ${formatBytes(this.#maxBytes)}`);
    }
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    if (this.#pendingBytes >= flushBytes) await this.#flush();
  }

  async #flush(): Promise<void> {
    if (this.#pendingBytes === 0) return;
    const chunks = this.#pending;
    const total = this.#pendingBytes;
    const at = this.#flushedTo;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#flushedTo += total;
    const { bytesWritten } = await this.#handle.writev(chunks, at);
    if (bytesWritten < total) await this.#writeAt(Buffer.concat(chunks, total).subarray(bytesWritten), at + bytesWritten);
  }

  async #writeAt(bytes: Buffer, position: number): Promise<void> {
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await this.#handle.write(bytes, done, bytes.length - done, position + done);
      done += bytesWritten;
    }
  }
}

/** readAll reads a file's whole content (a go.mod, within its size limit), holding it to its declared size. */
async function readAll(content: NodeJS.ReadableStream | Uint8Array, declaredSize: number, path: string): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  if (content instanceof Uint8Array) {
    chunks.push(Buffer.from(content.buffer, content.byteOffset, content.length));
    size = content.length;
  } else {
    for await (const chunk of content as AsyncIterable<Buffer | string>) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      size += bytes.length;
      if (size > declaredSize) break;
      chunks.push(bytes);
    }
  }
  if (size !== declaredSize) {
    const actual = size > declaredSize ? 'larger than' : `${formatBytes(size)}, less than`;
    throw new ZipCheckError(`file ${JSON.stringify(path)}: ${actual} its declared size (${formatBytes(declaredSize)})`);
  }
  return Buffer.concat(chunks, size);
}
