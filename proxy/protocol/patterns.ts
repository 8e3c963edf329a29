/**
 * GOPRIVATE, GONOPROXY and GONOSUMDB: comma-separated lists of glob patterns, each matched
 * against a leading part of a module path made of whole path elements (x/mod
 * module.MatchPrefixPatterns, as described by `go help private`).
 *
 * A glob with N slashes is matched against the first N+1 elements of the path, so "*.corp.example"
 * matches "git.corp.example/team/repo", and "example.com/private" matches "example.com/private/x"
 * but not "example.com/privateX". A path with fewer elements than the glob does not match. Empty
 * entries are skipped, a trailing slash on a glob is ignored, and entries are not trimmed
 * (" a.com" never matches, as with the go command).
 *
 * The glob syntax is Go's path.Match:
 *
 *   '*'          any run of characters other than '/'
 *   '?'          any one character other than '/'
 *   '[' ... ']'  one character from a class of characters and ranges lo-hi; "[^...]" negates it;
 *                the class must not be empty
 *   '\c'         the character c, literally (also inside a class)
 *   c            the character c itself
 *
 * The go command silently skips a malformed glob ("[", "a\", "[]"); {@link checkPatterns} is
 * there to reject one in a setting instead.
 */

import { goQuote } from './errors.ts';

type ClassToken = { kind: 'class'; negated: boolean; ranges: Array<[lo: number, hi: number]> };
/** One character of a chunk: a literal, '?', or a class. */
type CharToken = { kind: 'literal'; char: number } | { kind: 'any' } | ClassToken;
/** A run of single-character tokens, preceded by a '*' or not (only the first chunk may lack one). */
type Chunk = { star: boolean; tokens: CharToken[] };

const SLASH = 0x2f;

class BadPatternError extends Error {
  override name = 'BadPatternError';
}

/** Parses a glob into chunks; throws BadPatternError (with the reason) when it is malformed. */
function compileGlob(pattern: string): Chunk[] {
  const chars = Array.from(pattern, (ch) => ch.codePointAt(0) ?? 0);
  const chunks: Chunk[] = [{ star: false, tokens: [] }];
  let i = 0;

  /** A possibly escaped class member; the class must go on after it. */
  const classMember = (): number => {
    const c = chars[i];
    if (c === undefined) throw new BadPatternError('unterminated character class');
    if (c === 0x2d /* - */ || c === 0x5d /* ] */) {
      throw new BadPatternError(`unexpected ${goQuote(String.fromCodePoint(c))} in character class`);
    }
    if (c === 0x5c /* \ */) i++;
    const member = chars[i];
    if (member === undefined) throw new BadPatternError('unterminated character class');
    i++;
    if (i >= chars.length) throw new BadPatternError('unterminated character class');
    return member;
  };

  while (i < chars.length) {
    const c = chars[i] ?? 0;
    const current = chunks[chunks.length - 1] as Chunk;
    if (c === 0x2a /* * */) {
      while (chars[i] === 0x2a) i++;
      chunks.push({ star: true, tokens: [] });
    } else if (c === 0x3f /* ? */) {
      current.tokens.push({ kind: 'any' });
      i++;
    } else if (c === 0x5c /* \ */) {
      const escaped = chars[i + 1];
      if (escaped === undefined) throw new BadPatternError('trailing backslash');
      current.tokens.push({ kind: 'literal', char: escaped });
      i += 2;
    } else if (c === 0x5b /* [ */) {
      i++;
      const token: ClassToken = { kind: 'class', negated: false, ranges: [] };
      if (chars[i] === 0x5e /* ^ */) {
        token.negated = true;
        i++;
      }
      while (!(chars[i] === 0x5d /* ] */ && token.ranges.length > 0)) {
        const lo = classMember();
        let hi = lo;
        if (chars[i] === 0x2d /* - */) {
          i++;
          hi = classMember();
        }
        token.ranges.push([lo, hi]);
      }
      i++; // the closing ']'
      current.tokens.push(token);
    } else {
      current.tokens.push({ kind: 'literal', char: c });
      i++;
    }
  }
  return chunks;
}

/** Whether the tokens match name at position at; returns the position after the match, or -1. */
function matchChunkAt(tokens: CharToken[], name: number[], at: number): number {
  let pos = at;
  for (const token of tokens) {
    const c = name[pos];
    if (c === undefined) return -1;
    switch (token.kind) {
      case 'literal':
        if (c !== token.char) return -1;
        break;
      case 'any':
        if (c === SLASH) return -1;
        break;
      case 'class': {
        const inClass = token.ranges.some(([lo, hi]) => lo <= c && c <= hi);
        if (inClass === token.negated) return -1;
        break;
      }
    }
    pos++;
  }
  return pos;
}

/**
 * Whether name matches chunks, the way path.Match searches: each chunk after a '*' is placed at
 * its first position that works without the '*' crossing a '/', except the last, which must also
 * end the name.
 */
function matchChunks(chunks: Chunk[], name: number[]): boolean {
  let pos = 0;
  for (let k = 0; k < chunks.length; k++) {
    const { star, tokens } = chunks[k] as Chunk;
    const last = k === chunks.length - 1;
    if (star && tokens.length === 0) {
      // A trailing '*' takes the rest of the name, if it has no '/'.
      return !name.slice(pos).includes(SLASH);
    }
    let next = -1;
    for (let start = pos; start <= name.length; start++) {
      const end = matchChunkAt(tokens, name, start);
      if (end >= 0 && (!last || end === name.length)) {
        next = end;
        break;
      }
      if (!star || name[start] === SLASH) break;
    }
    if (next < 0) return false;
    pos = next;
  }
  return pos === name.length;
}

/**
 * Whether name matches the glob as a whole, with Go's path.Match syntax (see the top of this
 * file). Throws an Error naming the glob when it is malformed.
 */
export function matchGlob(glob: string, name: string): boolean {
  return matchChunks(compileOrThrow(glob), Array.from(name, (ch) => ch.codePointAt(0) ?? 0));
}

function compileOrThrow(glob: string): Chunk[] {
  try {
    return compileGlob(glob);
  } catch (err) {
    if (err instanceof BadPatternError) throw new Error(`malformed pattern ${goQuote(glob)}: ${err.message}`);
    throw err;
  }
}

function splitGlobs(globs: string | readonly string[]): string[] {
  const list = typeof globs === 'string' ? [globs] : globs;
  return list.flatMap((entry) => entry.split(','));
}

/** The first `count` path elements of target, or null when it has fewer. */
function leadingElements(target: string, count: number): string | null {
  let end = -1;
  for (let n = 0; n < count; n++) {
    end = target.indexOf('/', end + 1);
    if (end < 0) return n === count - 1 ? target : null;
  }
  return target.slice(0, end);
}

/**
 * Whether a leading part of target, of whole path elements, matches one of the globs: a
 * comma-separated list (GOPRIVATE syntax) or a list of such lists. Malformed globs match nothing.
 */
export function matchPrefixPatterns(globs: string | readonly string[], target: string): boolean {
  return prefixPatternMatcher(globs)(target);
}

/**
 * {@link matchPrefixPatterns} with the globs parsed once, for a setting that is matched against
 * many module paths.
 */
export function prefixPatternMatcher(globs: string | readonly string[]): (target: string) => boolean {
  const compiled: Array<{ elements: number; chunks: Chunk[] }> = [];
  for (const entry of splitGlobs(globs)) {
    const glob = entry.endsWith('/') ? entry.slice(0, -1) : entry;
    if (glob === '') continue;
    try {
      compiled.push({ elements: glob.split('/').length, chunks: compileGlob(glob) });
    } catch {
      // skipped, as the go command skips a malformed glob
    }
  }
  return (target) =>
    compiled.some(({ elements, chunks }) => {
      const prefix = leadingElements(target, elements);
      return prefix !== null && matchChunks(chunks, Array.from(prefix, (ch) => ch.codePointAt(0) ?? 0));
    });
}

/**
 * Checks a GOPRIVATE-style list (a comma-separated string or a list of them); throws an Error
 * naming the first malformed glob and what is wrong with it. Also rejects a glob with leading or
 * trailing white space: the go command does not trim entries, so it could never match.
 */
export function checkPatterns(globs: string | readonly string[]): void {
  for (const glob of splitGlobs(globs)) {
    if (glob !== glob.trim()) {
      throw new Error(`malformed pattern ${goQuote(glob)}: leading or trailing white space (it would never match)`);
    }
    compileOrThrow(glob);
  }
}
