/**
 * Kubernetes resource quantities (resource.Quantity) compared by value. The apiserver stores a
 * quantity in its canonical form, so what the operator renders from a spec ("1073741824", "0.5",
 * "1000m") comes back written otherwise ("1Gi", "500m", "1"): the same value, a different string.
 *
 * The rule (k8s.io/apimachinery/pkg/api/resource): a signed decimal number, then a binary suffix
 * (Ki, Mi, Gi, Ti, Pi, Ei: powers of 1024), a decimal suffix (n, u, m, "", k, M, G, T, P, E) or a
 * decimal exponent (e3, E-2). Values are compared exactly, as fractions of big integers.
 */

const QUANTITY = /^([+-]?)([0-9]+)(?:\.([0-9]*))?(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?[0-9]+))?$/;
const BINARY_POWERS: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const DECIMAL_EXPONENTS: Record<string, number> = { n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

/** A quantity's exact value as numerator / denominator, or undefined when the text is no quantity. */
export function quantityValue(text: string): { numerator: bigint; denominator: bigint } | undefined {
  const match = QUANTITY.exec(text);
  if (!match) return undefined;
  const [, sign, whole, fraction = '', suffix, exponentText] = match;
  let numerator = BigInt(`${whole}${fraction}`) * (sign === '-' ? -1n : 1n);
  let denominator = 10n ** BigInt(fraction.length);
  if (suffix && suffix in BINARY_POWERS) {
    numerator *= 1024n ** BigInt(BINARY_POWERS[suffix]!);
  } else {
    const exponent = suffix ? DECIMAL_EXPONENTS[suffix]! : Number(exponentText ?? 0);
    if (Math.abs(exponent) > 64) return undefined;
    if (exponent >= 0) numerator *= 10n ** BigInt(exponent);
    else denominator *= 10n ** BigInt(-exponent);
  }
  return { numerator, denominator };
}

/** Whether two texts are the same quantity (e.g. 1Gi and 1073741824, 500m and 0.5). */
export function sameQuantity(a: string, b: string): boolean {
  if (a === b) return true;
  const left = quantityValue(a);
  const right = quantityValue(b);
  return !!left && !!right && left.numerator * right.denominator === right.numerator * left.denominator;
}
