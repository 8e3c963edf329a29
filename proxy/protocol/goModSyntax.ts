/**
 * The syntax of go.mod and go.work files, as golang.org/x/mod/modfile reads it (read.go: its
 * lexer, parseFile, parseStmt, parseLineBlock and parseLine), before any directive is looked at.
 *
 * - A file is tokens: identifiers, strings, punctuation "( ) [ ] { } ," and newlines; spaces,
 *   tabs and carriage returns separate tokens.
 * - An identifier is a run of printable characters other than a space and " ( ) [ ] { } ,"; it
 *   ends before "//". So "a=>b" is one identifier: the arrow of a replace needs spaces.
 * - A string is "..." with backslash escapes or `...`; neither may hold a newline.
 * - "//" starts a comment to the end of the line; "/*" is refused.
 * - A statement is the tokens of one line. "verb (" at the end of a line opens a block: one line
 *   of arguments per line up to a line that starts with ")", which must end its line. "verb ()"
 *   is an empty block.
 *
 * Tokens are kept as written (a string with its quotes): a directive decides what it accepts,
 * and unquotes with {@link parseGoModString}.
 */

/** A syntax error, with the line it is on. */
export class GoModSyntaxError extends Error {
  readonly line: number;
  constructor(line: number, message: string) {
    super(message);
    this.name = 'GoModSyntaxError';
    this.line = line;
  }
}

/** The tokens of one line, its trailing comment (without "//", '' when none), and its number. */
export type GoModLine = { tokens: string[]; comment: string; line: number };

/** A statement: a line ("verb args...") or a block ("verb (" with its lines; tokens hold the verb). */
export type GoModStatement = GoModLine & { block?: GoModLine[] };

type TokenKind = 'eof' | 'eolComment' | 'comment' | 'ident' | 'string' | '\n' | '(' | ')' | '[' | ']' | '{' | '}' | ',';
type Token = { kind: TokenKind; text: string; line: number };

const punctuation = new Set(['\n', '(', ')', '[', ']', '{', '}', ',']);

/** modfile's isIdent: printable, not a space, not one of " ()[]{},". */
function isIdentChar(ch: string): boolean {
  return !' ()[]{},'.includes(ch) && /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(ch);
}

/** The statements of a go.mod or go.work text; throws GoModSyntaxError where modfile reports a syntax error. */
export function parseGoModSyntax(text: string): GoModStatement[] {
  return statementsOf(lex(text));
}

function lex(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  for (;;) {
    // Spaces; a comment is its own token, with the newline that ends it.
    let comment: Token | undefined;
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
        comment = { kind: afterCode ? 'eolComment' : 'comment', text: text.slice(i, end < 0 ? text.length : end), line };
        i = end < 0 ? text.length : end + 1;
        if (end >= 0) line++;
        break;
      }
      if (text.startsWith('/*', i)) throw new GoModSyntaxError(line, 'mod files must use // comments');
      break;
    }
    if (comment !== undefined) {
      tokens.push(comment);
      continue;
    }
    if (i >= text.length) {
      tokens.push({ kind: 'eof', text: '', line });
      return tokens;
    }
    const c = text[i] ?? '';
    if (punctuation.has(c)) {
      tokens.push({ kind: c as TokenKind, text: c, line });
      if (c === '\n') line++;
      i++;
      continue;
    }
    const start = i;
    if (c === '"' || c === '`') {
      i++;
      for (;;) {
        if (i >= text.length) throw new GoModSyntaxError(line, `unterminated string ${text.slice(start)}: the file ends before its closing quote`);
        const d = text[i];
        if (d === '\n') throw new GoModSyntaxError(line, `unterminated string ${text.slice(start, i)}: the line ends before its closing quote`);
        i++;
        if (d === c) break;
        if (d === '\\' && c !== '`') {
          if (i >= text.length) throw new GoModSyntaxError(line, `unterminated string ${text.slice(start)}: the file ends before its closing quote`);
          i++;
        }
      }
      tokens.push({ kind: 'string', text: text.slice(start, i), line });
      continue;
    }
    for (;;) {
      const ch = String.fromCodePoint(text.codePointAt(i) ?? 0);
      if (i >= text.length || !isIdentChar(ch) || text.startsWith('//', i)) break;
      if (text.startsWith('/*', i)) throw new GoModSyntaxError(line, 'mod files must use // comments');
      i += ch.length;
    }
    if (i === start) throw new GoModSyntaxError(line, `unexpected input character ${JSON.stringify(c)}`);
    tokens.push({ kind: 'ident', text: text.slice(start, i), line });
  }
}

const isEndOfLine = (kind: TokenKind) => kind === 'eof' || kind === 'eolComment' || kind === '\n';

/** The comment text of a token that ends a line, without "//". */
const commentOf = (token: Token) => (token.kind === 'eolComment' ? token.text.slice(2) : '');

/** modfile's parseFile, parseStmt, parseLineBlock and parseLine over the tokens. */
function statementsOf(tokens: Token[]): GoModStatement[] {
  let k = 0;
  const last = tokens[tokens.length - 1]!;
  const peek = (): TokenKind => (tokens[k] ?? last).kind;
  const next = (): Token => {
    const token = tokens[k] ?? last;
    if (k < tokens.length - 1) k++;
    return token;
  };
  const statements: GoModStatement[] = [];

  const parseLine = (): GoModLine => {
    const first = next();
    const line: GoModLine = { tokens: [first.text], comment: '', line: first.line };
    for (let t = next(); ; t = next()) {
      if (isEndOfLine(t.kind)) {
        line.comment = commentOf(t);
        return line;
      }
      line.tokens.push(t.text);
    }
  };
  const parseBlock = (opening: GoModLine): GoModStatement => {
    const block: GoModLine[] = [];
    for (;;) {
      const kind = peek();
      if (kind === 'eolComment' || kind === '\n' || kind === 'comment') {
        next();
      } else if (kind === 'eof') {
        throw new GoModSyntaxError(opening.line, `${opening.tokens[0]} block is not closed with ")"`);
      } else if (kind === ')') {
        const close = next();
        if (!isEndOfLine(peek())) throw new GoModSyntaxError(close.line, 'syntax error (expected newline after closing paren)');
        next();
        return { ...opening, block };
      } else {
        block.push(parseLine());
      }
    }
  };
  const parseStatement = (): GoModStatement => {
    const first = next();
    const statement: GoModLine = { tokens: [first.text], comment: '', line: first.line };
    for (;;) {
      const t = next();
      if (isEndOfLine(t.kind)) {
        statement.comment = commentOf(t);
        return statement;
      }
      if (t.kind !== '(') {
        statement.tokens.push(t.text);
      } else if (isEndOfLine(peek())) {
        statement.comment = commentOf(tokens[k]!);
        return parseBlock(statement);
      } else if (peek() === ')') {
        next();
        if (isEndOfLine(peek())) {
          next();
          return { ...statement, block: [] };
        }
        statement.tokens.push('(', ')');
      } else {
        statement.tokens.push('(');
      }
    }
  };

  for (;;) {
    const kind = peek();
    if (kind === 'eof') return statements;
    if (kind === '\n' || kind === 'comment') next();
    else statements.push(parseStatement());
  }
}

/**
 * modfile's parseString: a double-quoted Go string is unquoted; a bare token is itself unless it
 * holds a quote character. Undefined when the token is neither.
 */
export function parseGoModString(token: string): string | undefined {
  if (token.startsWith('"')) return unquoteGoString(token);
  if (/["'`]/.test(token)) return undefined;
  return token;
}

/** strconv.Unquote for a double-quoted Go string literal; undefined when it is not one. */
export function unquoteGoString(literal: string): string | undefined {
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
