/**
 * ZipCheckError says why a module zip breaks the golang.org/x/mod/zip rules
 * (or cannot be read at all). Each problem names the zip entry at fault and
 * the rule, e.g. `zip entry "m@v1.0.0/a.go": ...`; `problems` lists all of
 * them when several entries are at fault, and `message` sums them up.
 */
export class ZipCheckError extends Error {
  override name = 'ZipCheckError';
  readonly problems: string[];

  constructor(problems: string[] | string) {
    const list = typeof problems === 'string' ? [problems] : problems;
    super(summarize(list));
    this.problems = list;
  }
}

function summarize(problems: string[]): string {
  const first = problems[0] ?? 'invalid module zip';
  if (problems.length <= 1) return first;
  return `${problems.length} problems in module zip: ${problems.join('; ')}`;
}

/** The message of anything thrown. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
