/**
 * The go directive of a go.mod as modfile.ParseLax reads it, which is how golang.org/x/mod/zip
 * learns a module's language version (it selects the vendor rule of a module zip).
 *
 * ParseLax reads only what a dependency's go.mod may say: go, module, require and ignore (and
 * retract, whose bad intervals it ignores); other directives are not looked at. It fails on a
 * syntax error or on an error in one of those directives; a go version "1.24.x" it fixes laxly
 * to "1.24".
 */
import { parseGoModString, parseGoModSyntax, GoModSyntaxError } from './goModSyntax.ts';
import { checkPathMajor, splitPathVersion } from './modulePath.ts';
import { canonicalVersion } from './semver.ts';

const blockVerbs = new Set(['module', 'godebug', 'require', 'exclude', 'replace', 'retract', 'tool', 'ignore']);
const goVersionRE = /^([1-9][0-9]*)\.(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))?([a-z]+[0-9]+)?$/;
const laxGoVersionRE = /^v?(([1-9][0-9]*)\.(0|[1-9][0-9]*))([^0-9][\s\S]*)$/;

/**
 * The version of go.mod's go directive as ParseLax reads it ("1.24", "1.21.3"), or '' when there
 * is none or ParseLax fails. The bytes are read as UTF-8, a byte order mark kept (modfile refuses it).
 */
export function laxGoDirective(goMod: Uint8Array): string {
  let statements;
  try {
    statements = parseGoModSyntax(new TextDecoder('utf-8', { ignoreBOM: true }).decode(goMod));
  } catch (err) {
    if (err instanceof GoModSyntaxError) return '';
    throw err;
  }
  const state: LaxState = { go: undefined, haveModule: false };
  for (const statement of statements) {
    const verb = statement.tokens[0] ?? '';
    if (statement.block === undefined) {
      if (!laxDirective(state, verb, statement.tokens.slice(1))) return '';
    } else if (statement.tokens.length === 1 && blockVerbs.has(verb)) {
      for (const line of statement.block) if (!laxDirective(state, verb, line.tokens)) return '';
    }
  }
  return state.go ?? '';
}

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
