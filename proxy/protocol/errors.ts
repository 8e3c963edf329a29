/**
 * The two ways a name can break Go's rules: a path (module, import or file path) that is
 * malformed, and a version that is malformed or does not fit its module path.
 *
 * Messages follow golang.org/x/mod: they quote the offending value and state the rule,
 * e.g. `malformed module path "x.y/.z": leading dot in path element`.
 */

export type PathKind = 'module path' | 'import path' | 'file path';

/** A module, import or file path that breaks one of Go's naming rules. */
export class InvalidPathError extends Error {
  override name = 'InvalidPathError';
  readonly kind: PathKind;
  readonly path: string;
  /** The rule that was broken, without the path: "leading dot in path element". */
  readonly reason: string;

  constructor(kind: PathKind, path: string, reason: string) {
    super(`malformed ${kind} ${goQuote(path)}: ${reason}`);
    this.kind = kind;
    this.path = path;
    this.reason = reason;
  }
}

/** A version that is not valid, not canonical, or does not fit the module path it is used with. */
export class InvalidVersionError extends Error {
  override name = 'InvalidVersionError';
  readonly version: string;
  /** The rule that was broken, without the version: "should be v2, not v3". */
  readonly reason: string;
  /** Whether the version has the shape of a pseudo-version; the message then says so. */
  readonly pseudo: boolean;

  constructor(version: string, reason: string, options: { pseudo?: boolean } = {}) {
    const pseudo = options.pseudo === true;
    super(`invalid ${pseudo ? 'pseudo-version' : 'version'} ${goQuote(version)}: ${reason}`);
    this.version = version;
    this.reason = reason;
    this.pseudo = pseudo;
  }
}

const goEscapes: Record<string, string> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
};

function quoteWith(s: string, quote: '"' | "'"): string {
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === quote || ch === '\\') out += '\\' + ch;
    else if (goEscapes[ch] !== undefined) out += goEscapes[ch];
    else if (code < 0x20 || code === 0x7f) out += '\\x' + code.toString(16).padStart(2, '0');
    else if (code >= 0xd800 && code <= 0xdfff) out += '\\ufffd'; // a lone surrogate: not valid text
    else out += ch;
  }
  return out + quote;
}

/** A string quoted the way Go's %q quotes it, so messages read like the go command's. */
export function goQuote(s: string): string {
  return quoteWith(s, '"');
}

/** A single character quoted the way Go's %q quotes a rune: 'x'. */
export function goQuoteChar(ch: string): string {
  return quoteWith(ch, "'");
}
