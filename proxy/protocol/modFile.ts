/**
 * go.mod and go.work files, read for what a proxy needs of them (golang.org/x/mod/modfile):
 * the module path, go and toolchain lines, require, exclude and replace of a go.mod; use and
 * replace of a go.work.
 *
 * The syntax (lines, blocks, strings, comments) is goModSyntax.ts's. A directive is a verb and
 * its arguments; an argument is a bare word or a double-quoted Go string, and a bare word may
 * not hold a quote. The arrow "=>" separates the two sides of a replace. Directives a reader
 * does not need (godebug, retract, tool, ignore) are skipped; an unknown verb is
 * an error, as it is to the go command. "// indirect" after a requirement marks it indirect.
 */
import { goQuote } from './errors.ts';
import { GoModSyntaxError, parseGoModString, parseGoModSyntax, type GoModLine } from './goModSyntax.ts';

export type ModRequire = { path: string; version: string; indirect: boolean };
export type ModReplace = { oldPath: string; oldVersion?: string; newPath: string; newVersion?: string };
export type ModFile = {
  module?: string;
  /** The go line's version as written ("1.21", "1.22.3"); undefined when there is none. */
  go?: string;
  /** The toolchain line's name ("go1.22.3"); undefined when there is none. */
  toolchain?: string;
  require: ModRequire[];
  exclude: Array<{ path: string; version: string }>;
  replace: ModReplace[];
};
export type WorkFile = { use: string[]; replace: ModReplace[] };

export class ModFileError extends Error {
  constructor(file: string, line: number, message: string) {
    super(`${file}:${line}: ${message}`);
    this.name = 'ModFileError';
  }
}

/** A directive: its arguments unquoted; arrow is where a bare "=>" stands among them (-1: none). */
type Statement = { verb: string; args: string[]; arrow: number; comment: string; line: number };

const MOD_VERBS = new Set(['module', 'go', 'toolchain', 'godebug', 'require', 'exclude', 'replace', 'retract', 'tool', 'ignore']);
const WORK_VERBS = new Set(['go', 'toolchain', 'godebug', 'use', 'replace']);

/**
 * Parses a go.mod. With `lax`, unknown directives are skipped, as modfile.ParseLax does for the
 * go.mod files of dependencies (a newer go version may add directives); the syntax, and the
 * quoting of every argument, is still checked.
 */
export function parseModFile(text: string, file = 'go.mod', options: { lax?: boolean } = {}): ModFile {
  const mod: ModFile = { require: [], exclude: [], replace: [] };
  for (const { verb, args, arrow, comment, line } of statements(text, file, MOD_VERBS, options.lax ?? false)) {
    const bad = (message: string) => new ModFileError(file, line, message);
    switch (verb) {
      case 'module':
        if (args.length !== 1) throw bad('usage: module module/path');
        mod.module = args[0];
        break;
      case 'go':
      case 'toolchain':
        // A lax reader leaves a malformed line to the go command, which judges it by its own version.
        if (args.length === 1) mod[verb] = args[0];
        else if (!options.lax) throw bad(`usage: ${verb} ${verb === 'go' ? '1.23' : 'go1.23.4'}`);
        break;
      case 'require':
      case 'exclude': {
        if (args.length !== 2) throw bad(`usage: ${verb} module/path v1.2.3`);
        const [path, version] = args as [string, string];
        if (verb === 'require') mod.require.push({ path, version, indirect: /^\s*indirect\s*(;|$)/.test(comment) });
        else mod.exclude.push({ path, version });
        break;
      }
      case 'replace':
        mod.replace.push(parseReplace(args, arrow, bad));
        break;
    }
  }
  return mod;
}

export function parseWorkFile(text: string, file = 'go.work'): WorkFile {
  const work: WorkFile = { use: [], replace: [] };
  for (const { verb, args, arrow, line } of statements(text, file, WORK_VERBS)) {
    const bad = (message: string) => new ModFileError(file, line, message);
    if (verb === 'use') {
      if (args.length !== 1) throw bad('usage: use local/dir');
      work.use.push(args[0]!);
    } else if (verb === 'replace') {
      work.replace.push(parseReplace(args, arrow, bad));
    }
  }
  return work;
}

function parseReplace(args: string[], arrow: number, bad: (message: string) => Error): ModReplace {
  if (arrow < 1 || arrow > 2 || args.length - arrow - 1 < 1 || args.length - arrow - 1 > 2) {
    throw bad('usage: replace module/path [v1.2.3] => other/module v1.4 | replace module/path [v1.2.3] => ../local/directory');
  }
  const replace: ModReplace = { oldPath: args[0]!, newPath: args[arrow + 1]! };
  if (arrow === 2) replace.oldVersion = args[1]!;
  if (args.length - arrow - 1 === 2) replace.newVersion = args[arrow + 2]!;
  return replace;
}

/** A replacement by a local directory (a path starting with ./, ../ or /, or a Windows drive). */
export function isLocalReplacement(replace: ModReplace): boolean {
  return replace.newVersion === undefined;
}

/** The directives of a file, one line each (a block gives one per line), with verb checked. */
function* statements(text: string, file: string, verbs: Set<string>, skipUnknown = false): Generator<Statement> {
  let parsed;
  try {
    parsed = parseGoModSyntax(text);
  } catch (err) {
    if (err instanceof GoModSyntaxError) throw new ModFileError(file, err.line, err.message);
    throw err;
  }
  for (const statement of parsed) {
    const verb = statement.tokens[0]!;
    const known = verbs.has(verb);
    if (!known && !skipUnknown) throw new ModFileError(file, statement.line, `unknown directive: ${verb}`);
    const found: Statement[] = [];
    if (statement.block === undefined) {
      found.push(directive(verb, statement.tokens.slice(1), statement, file));
    } else {
      if (statement.tokens.length > 1) throw new ModFileError(file, statement.line, `unexpected parenthesis after ${verb}`);
      for (const line of statement.block) found.push(directive(verb, line.tokens, line, file));
    }
    if (known) yield* found;
  }
}

/** One directive's arguments, unquoted; the arrow of a replace is kept as it was written. */
function directive(verb: string, tokens: string[], line: GoModLine, file: string): Statement {
  const args = tokens.map((token) => {
    if (token === '=>') return token;
    if (token === '(' || token === ')') throw new ModFileError(file, line.line, `unexpected parenthesis in ${verb}`);
    const arg = parseGoModString(token);
    if (arg !== undefined) return arg;
    if (token.startsWith('"')) throw new ModFileError(file, line.line, `invalid quoted string ${token}`);
    throw new ModFileError(file, line.line, `invalid quoted string ${goQuote(token)}: an unquoted string cannot hold a quote`);
  });
  return { verb, args, arrow: tokens.indexOf('=>'), comment: line.comment, line: line.line };
}
