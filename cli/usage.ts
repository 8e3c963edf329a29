/** Mistakes in a command line or its input files: said in one line, exit code 2, like a bad setting. */
import { readFile } from 'node:fs/promises';

export class UsageError extends Error {}

/** Reads a file named on the command line; one that cannot be read is a UsageError. */
export async function readArgumentFile(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** A comma-separated flag value as a list, e.g. --module a/*,b/*. */
export function commaList(value: string): string[] {
  return value.split(',').map((p) => p.trim()).filter(Boolean);
}
