/**
 * Files the proxy re-reads when they change: the TLS certificate and key, the htpasswd file.
 * Kubernetes updates a mounted Secret by swapping a symlink, editors and cert-manager replace
 * files by renaming: events on the file itself are lost in both cases, so the files are polled
 * with stat (which follows symlinks), a few calls a second at most.
 */
import { unwatchFile, watchFile, type Stats } from 'node:fs';

/** How often the files are looked at; a change is picked up within this time. */
export const WATCH_INTERVAL_MS = 1000;

/**
 * Calls `onChange` when any of `files` changes (size, times or inode). The caller reloads and
 * keeps what it had when the new content is not usable yet (a key written before its
 * certificate): the next change calls again. Returns a function that stops watching.
 */
export function watchFiles(files: readonly string[], onChange: () => void, intervalMs = WATCH_INTERVAL_MS): () => void {
  const listener = (current: Stats, previous: Stats) => {
    if (current.mtimeMs !== previous.mtimeMs || current.ctimeMs !== previous.ctimeMs || current.ino !== previous.ino || current.size !== previous.size) onChange();
  };
  for (const file of files) watchFile(file, { interval: intervalMs, persistent: false }, listener);
  return () => {
    for (const file of files) unwatchFile(file, listener);
  };
}
