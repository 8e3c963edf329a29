/**
 * Version ranges for policy rules, compared by Go's semantic version precedence
 * ({@link compareSemver}: build metadata such as "+incompatible" does not count, a pre-release
 * or pseudo-version sits below its release).
 *
 * A range is one or more alternatives separated by "||"; an alternative is one or more
 * comparisons separated by white space, all of which must hold:
 *
 *   v1.2.3                 exactly v1.2.3 (also "=v1.2.3"; "v1.2.3+incompatible" is the same version)
 *   <v1.2.3                below v1.2.3, its pre-releases and pseudo-versions included
 *   <=v1.2.3  >v1.2.3  >=v1.2.3
 *   >=v1.0.0 <v1.4.2       from v1.0.0 up to, not including, v1.4.2
 *   <v1.0.5 || >=v2.0.0    either
 *
 * Every version in a range must be a valid Go semantic version ("v1", "v1.2" are shorthands
 * for v1.0.0 and v1.2.0).
 */
import { compareSemver, isValidSemver } from './semver.ts';

type Operator = '<' | '<=' | '>' | '>=' | '=';
type Comparison = { operator: Operator; version: string };

/** A parsed range: alternatives of comparisons. */
export type VersionRange = { text: string; alternatives: Comparison[][] };

const COMPARISON = /^(<=|>=|<|>|=)?\s*(\S+)$/;

export class VersionRangeError extends Error {
  override name = 'VersionRangeError';
}

/** Parses a range; throws a VersionRangeError naming the part that is wrong. */
export function parseVersionRange(text: string): VersionRange {
  const alternatives = text.split('||').map((alternative) => {
    // "< v1.2.3" is read as "<v1.2.3": an operator standing alone joins the next word.
    const words = alternative.trim().replace(/(<=|>=|<|>|=)\s+/g, '$1').split(/\s+/).filter(Boolean);
    if (words.length === 0) throw new VersionRangeError(`malformed version range ${JSON.stringify(text)}: empty alternative`);
    return words.map((word) => {
      const match = COMPARISON.exec(word);
      const version = match?.[2] ?? '';
      if (!match || !isValidSemver(version)) {
        throw new VersionRangeError(
          `malformed version range ${JSON.stringify(text)}: ${JSON.stringify(word)} is not a comparison such as <v1.2.3, >=v1.0.0 or v1.2.3 (versions are Go semantic versions with the leading v)`,
        );
      }
      return { operator: (match[1] ?? '=') as Operator, version };
    });
  });
  return { text, alternatives };
}

/** Whether version (a valid Go semantic version) is in the range. */
export function versionInRange(range: VersionRange, version: string): boolean {
  if (!isValidSemver(version)) return false;
  return range.alternatives.some((comparisons) => comparisons.every((comparison) => holds(comparison, version)));
}

function holds({ operator, version: bound }: Comparison, version: string): boolean {
  const order = compareSemver(version, bound);
  switch (operator) {
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    case '>=':
      return order >= 0;
    case '=':
      return order === 0;
  }
}
