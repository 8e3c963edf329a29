/**
 * A pure function that remembers its answers for the last `count` arguments, first in first out.
 * For the request path's own rules, which a busy proxy applies to the same few paths again and
 * again (parsing a request path, escaping a module path): the answers must not depend on anything
 * but the argument. An argument whose call throws is never remembered, so it throws every time;
 * one that `keep` turns down (say, too long to hold) is computed every time.
 */
export function rememberLast<A, R>(count: number, compute: (argument: A) => R, keep: (argument: A) => boolean = () => true): (argument: A) => R {
  const answers = new Map<A, R>();
  return (argument) => {
    if (answers.has(argument)) return answers.get(argument)!;
    const answer = compute(argument);
    if (keep(argument)) {
      // The oldest goes first: a Map iterates in insertion order.
      if (answers.size >= count) answers.delete(answers.keys().next().value!);
      answers.set(argument, answer);
    }
    return answer;
  };
}
