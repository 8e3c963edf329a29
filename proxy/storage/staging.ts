/**
 * The local staging folder every store downloads into: a file is written
 * and checked there before it becomes visible in the store. Names are
 * random, so concurrent downloads never share a file.
 *
 * Several processes may share one staging folder (a serving proxy and a
 * `prefetch` on the same store, replicas on one volume), so each writes in a
 * folder of its own, named `<host>.<pid>.<random>`. What a crash leaves
 * behind is removed when the next process starts:
 * - a folder of this host whose process is gone, or whose pid is our own
 *   (a container restarted: its processes reuse the same pids), at once;
 * - a folder of another host (a replica elsewhere on a shared volume), and a
 *   file of the older flat layout, once nothing in it changed for
 *   STALE_STAGING_MS: its process may still be running there.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** Staging leftovers of another host are removed once they have not changed for this long. */
export const STALE_STAGING_MS = 60 * 60 * 1000;

const hostName = os.hostname().replace(/[^A-Za-z0-9-]+/g, '_') || 'localhost';

export class StagingArea {
  /** This process's own folder inside the shared staging folder. */
  readonly folder: string;
  private readonly shared: string;

  constructor(shared: string) {
    this.shared = shared;
    this.folder = path.join(shared, `${hostName}.${process.pid}.${randomBytes(6).toString('hex')}`);
  }

  /** Creates this process's folder and removes what crashed processes left. */
  async open(): Promise<void> {
    await fs.mkdir(this.folder, { recursive: true });
    await removeLeftovers(this.shared, path.basename(this.folder));
  }

  /** A fresh path whose name ends in a readable form of `hint`. */
  async file(hint: string): Promise<string> {
    // Made again if needed: another host's cleanup may have taken an idle folder.
    await fs.mkdir(this.folder, { recursive: true });
    const safeHint = hint.replace(/[^a-zA-Z0-9._-]+/g, '_').slice(-80);
    return path.join(this.folder, `${randomBytes(8).toString('hex')}-${safeHint}`);
  }

  /** Writes, syncs and removes a small file: throws when the staging folder cannot be written. */
  async checkWritable(): Promise<void> {
    const probe = await this.file('writable.probe');
    try {
      const handle = await fs.open(probe, 'wx');
      try {
        await handle.writeFile(Buffer.alloc(4096));
        await handle.sync();
      } finally {
        await handle.close();
      }
    } finally {
      await fs.rm(probe, { force: true });
    }
  }
}

async function removeLeftovers(shared: string, own: string): Promise<void> {
  const now = Date.now();
  for (const name of await fs.readdir(shared)) {
    if (name === own) continue;
    const entry = path.join(shared, name);
    const info = await fs.stat(entry).catch(() => null);
    if (!info) continue;
    const owner = /^(.+)\.(\d+)\.[0-9a-f]+$/.exec(name);
    const crashedHere = info.isDirectory() && owner !== null && owner[1] === hostName && !isOtherLiveProcess(Number(owner[2]));
    if (crashedHere || now - (await newestChange(entry, info.mtimeMs)) > STALE_STAGING_MS) {
      await fs.rm(entry, { recursive: true, force: true });
    }
  }
}

/** Whether a pid names a running process other than this one. */
function isOtherLiveProcess(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The latest change to a staged file, or to any file in a process's folder. */
async function newestChange(entry: string, ownMtimeMs: number): Promise<number> {
  let newest = ownMtimeMs;
  const names = await fs.readdir(entry).catch(() => [] as string[]);
  for (const name of names) {
    const info = await fs.stat(path.join(entry, name)).catch(() => null);
    if (info) newest = Math.max(newest, info.mtimeMs);
  }
  return newest;
}
