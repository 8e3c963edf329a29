/**
 * go.mod and go.work files, read for what a proxy needs of them (golang.org/x/mod/modfile):
 * the module path, require, exclude and replace of a go.mod; use and replace of a go.work.
 *
 * The syntax: a file is lines of tokens; `//` starts a comment to the end of the line; a
 * directive is a verb and its arguments on one line, or a verb followed by `(` and then one
 * argument list per line up to a line holding `)`. An argument is a bare word or a quoted
 * string with backslash escapes; a bare word may not hold a quote. Arrows `=>` separate the two sides of a
 * replace. Directives a reader does not need (go, toolchain, godebug, retract, tool, ignore)
 * are skipped; an unknown verb is an error, as it is to the go command.
 */
import { goQuote } from './errors.ts';

export type ModRequire = { path: string; version: string; indirect: boolean };
export type ModReplace = { oldPath: string; oldVersion?: string; newPath: string; newVersion?: string };
export type ModFile = { module?: string; require: ModRequire[]; exclude: Array<{ path: string; version: string }>; replace: ModReplace[] };
export type WorkFile = { use: string[]; replace: ModReplace[] };

export class ModFileError extends Error {
  constructor(file: string, line: number, message: string) {
    super(`${file}:${line}: ${message}`);
    this.name = 'ModFileError';
  }
}

type Statement = { verb: string; args: string[]; comment: string; line: number };

const MOD_VERBS = new Set(['module', 'go', 'toolchain', 'godebug', 'require', 'exclude', 'replace', 'retract', 'tool', 'ignore']);
const WORK_VERBS = new Set(['go', 'toolchain', 'godebug', 'use', 'replace']);

/**
 * Parses a go.mod. With `lax`, unknown directives are skipped, as modfile.ParseLax does for the
 * go.mod files of dependencies (a newer go version may add directives); the syntax is still checked.
 */
export function parseModFile(text: string, file = 'go.mod', options: { lax?: boolean } = {}): ModFile {
  const mod: ModFile = { require: [], exclude: [], replace: [] };
  for (const { verb, args, comment, line } of statements(text, file, MOD_VERBS, options.lax ?? false)) {
    const bad = (message: string) => new ModFileError(file, line, message);
    switch (verb) {
      case 'module':
        if (args.length !== 1) throw bad('usage: module module/path');
        mod.module = args[0];
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
        mod.replace.push(parseReplace(args, bad));
        break;
    }
  }
  return mod;
}

export function parseWorkFile(text: string, file = 'go.work'): WorkFile {
  const work: WorkFile = { use: [], replace: [] };
  for (const { verb, args, line } of statements(text, file, WORK_VERBS, false)) {
    const bad = (message: string) => new ModFileError(file, line, message);
    if (verb === 'use') {
      if (args.length !== 1) throw bad('usage: use local/dir');
      work.use.push(args[0]!);
    } else if (verb === 'replace') {
      work.replace.push(parseReplace(args, bad));
    }
  }
  return work;
}

function parseReplace(args: string[], bad: (message: string) => Error): ModReplace {
  const arrow = args.indexOf('=>');
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

function* statements(text: string, file: string, verbs: Set<string>, skipUnknown: boolean): Generator<Statement> {
  let block: string | null = null;
  let blockLine = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNumber = i + 1;
    const { tokens, comment } = tokenize(lines[i]!, file, lineNumber);
    if (tokens.length === 0) continue;
    if (block !== null) {
      if (tokens.length === 1 && tokens[0] === ')') {
        block = null;
        continue;
      }
      if (tokens.includes('(') || tokens.includes(')')) throw new ModFileError(file, lineNumber, 'unexpected parenthesis inside a block');
      if (verbs.has(block)) yield { verb: block, args: tokens, comment, line: lineNumber };
      continue;
    }
    const [verb, ...args] = tokens as [string, ...string[]];
    const known = verbs.has(verb);
    if (!known && !skipUnknown) throw new ModFileError(file, lineNumber, `unknown directive: ${verb}`);
    if (args.length === 1 && args[0] === '(') {
      block = verb;
      blockLine = lineNumber;
      continue;
    }
    if (args.includes('(') || args.includes(')')) throw new ModFileError(file, lineNumber, `unexpected parenthesis after ${verb}`);
    if (known) yield { verb, args, comment, line: lineNumber };
  }
  if (block !== null) throw new ModFileError(file, blockLine, `${block} block is not closed with ")"`);
}

/** The tokens of one line and the text of its trailing comment. */
function tokenize(line: string, file: string, lineNumber: number): { tokens: string[]; comment: string } {
  const tokens: string[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
    } else if (line.startsWith('//', i)) {
      return { tokens, comment: line.slice(i + 2) };
    } else if (c === '(' || c === ')') {
      tokens.push(c);
      i++;
    } else if (line.startsWith('=>', i)) {
      tokens.push('=>');
      i += 2;
    } else if (c === '"') {
      const end = findStringEnd(line, i);
      if (end < 0) throw new ModFileError(file, lineNumber, `unterminated string ${goQuote(line.slice(i))}`);
      tokens.push(unquote(line.slice(i, end + 1), file, lineNumber));
      i = end + 1;
    } else {
      let j = i;
      while (j < line.length && !' \t\r()'.includes(line[j]!) && !line.startsWith('//', j) && !line.startsWith('=>', j)) j++;
      const word = line.slice(i, j);
      if (/["`]/.test(word)) throw new ModFileError(file, lineNumber, `invalid quoted string ${goQuote(word)}: an unquoted string cannot hold a quote`);
      tokens.push(word);
      i = j;
    }
  }
  return { tokens, comment: '' };
}

function findStringEnd(line: string, start: number): number {
  for (let j = start + 1; j < line.length; j++) {
    if (line[j] === '\\') j++;
    else if (line[j] === '"') return j;
  }
  return -1;
}

function unquote(token: string, file: string, lineNumber: number): string {
  try {
    return JSON.parse(token) as string;
  } catch {
    throw new ModFileError(file, lineNumber, `invalid quoted string ${token}`);
  }
}
