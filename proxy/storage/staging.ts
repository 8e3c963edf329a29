/**
 * The local staging folder every store downloads into: a file is written
 * and checked there before it becomes visible in the store. Names are
 * random, so concurrent downloads never share a file; what a crash or a
 * killed download leaves behind is removed at the next start.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/** Staged files older than this are leftovers of a crash or a killed download. */
export const STALE_STAGING_MS = 60 * 60 * 1000;

/** A fresh path in `folder` whose name ends in a readable form of `hint`. */
export async function newStagingFile(folder: string, hint: string): Promise<string> {
  await fs.mkdir(folder, { recursive: true });
  const safeHint = hint.replace(/[^a-zA-Z0-9._-]+/g, '_').slice(-80);
  return path.join(folder, `${randomBytes(8).toString('hex')}-${safeHint}`);
}

/** Removes staged files older than STALE_STAGING_MS; only the staging folder is looked at. */
export async function removeStaleStagedFiles(folder: string): Promise<void> {
  const now = Date.now();
  for (const name of await fs.readdir(folder)) {
    const file = path.join(folder, name);
    const info = await fs.stat(file).catch(() => null);
    if (info?.isFile() && now - info.mtimeMs > STALE_STAGING_MS) await fs.rm(file, { force: true });
  }
}
