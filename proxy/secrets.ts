/**
 * Secrets are named in the settings, never written there: "env:NAME" (an
 * environment variable) or "file:/path" (a file holding it, e.g. a mounted
 * Kubernetes Secret). Reading one that is missing says which one and where.
 */
import { readFileSync } from 'node:fs';

/** Reads "env:NAME" or "file:/path"; `what` names the setting in the error. */
export function readSecret(reference: string, what: string): string {
  if (reference.startsWith('env:')) {
    const value = process.env[reference.slice(4)];
    if (!value) throw new Error(`${what}: the environment variable ${reference.slice(4)} is not set`);
    return value;
  }
  try {
    return readFileSync(reference.slice(5), 'utf8').trim();
  } catch (err) {
    throw new Error(`${what}: cannot read ${reference.slice(5)}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
}
