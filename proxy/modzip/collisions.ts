// The module zip rule "no two file paths may be equal under Unicode
// case-folding", together with "no path is both a file and a directory" and
// "no file is listed twice" (golang.org/x/mod/zip's collisionChecker).
//
// Every path is recorded with all of its parent directories, so "a/b.go"
// collides with a file "A" as well as with a file "a".

import { caseFold } from './fold.ts';

type SeenPath = { path: string; isDir: boolean };

export class CollisionChecker {
  readonly #seen = new Map<string, SeenPath>();

  /** check records path (a file, or a directory when isDir) and returns the rule it breaks, if any. */
  check(path: string, isDir: boolean): string | undefined {
    let p = path;
    let dir = isDir;
    for (;;) {
      const fold = caseFold(p);
      const other = this.#seen.get(fold);
      if (other === undefined) {
        this.#seen.set(fold, { path: p, isDir: dir });
      } else if (other.path !== p) {
        return `case-insensitive file name collision: ${JSON.stringify(other.path)} and ${JSON.stringify(p)}`;
      } else if (other.isDir !== dir) {
        return `${JSON.stringify(p)} is both a file and a directory`;
      } else if (!dir) {
        return `multiple entries for file ${JSON.stringify(p)}`;
      }
      // A directory seen again is fine: every file records its parents.
      const slash = p.lastIndexOf('/');
      if (slash < 0) return undefined;
      p = p.slice(0, slash);
      dir = true;
    }
  }
}
