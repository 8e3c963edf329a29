/**
 * The git cache folder: one bare mirror per repository (`<24 hex>.git`, see
 * repository.ts), kept within a size limit.
 *
 * The rules:
 * - A mirror is in use from the moment a request locates its repository to
 *   the moment its answer is built; a mirror in use is never removed.
 * - When the mirrors together take more than the limit (checked after a clone
 *   or fetch made one grow), the least recently used mirrors not in use are
 *   removed until they fit. A removed mirror is cloned again when asked for.
 * - "Used" is the mirror folder's modification time, set at the start and end
 *   of every use, so the order survives restarts and `gomodproxy cleanup
 *   --git-mirrors` (another process) sees it too. Cleanup never removes a
 *   mirror used within RECENTLY_USED_MS: a serving proxy may be using it.
 * - A mirror is removed by renaming it away first, so no git command ever
 *   sees half of one.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';

const MIRROR_NAME = /^[0-9a-f]{24}\.git$/;

/** Cleanup (another process) leaves alone a mirror used this recently. */
export const RECENTLY_USED_MS = 60 * 60 * 1000;

export type MirrorFacts = { name: string; bytes: number; lastUsed: number };

export class MirrorCache {
  readonly folder: string;
  private readonly maxBytes: number;
  private readonly logger: Logger | undefined;
  private readonly users = new Map<string, number>();
  private readonly removals = new Map<string, Promise<void>>();
  private readonly forgetters = new Map<string, () => void>();
  private shrinking: Promise<void> | null = null;
  private shrinkAgain = false;

  constructor(folder: string, maxBytes: number, logger?: Logger) {
    this.folder = path.resolve(folder);
    this.maxBytes = maxBytes;
    this.logger = logger;
  }

  /** `forget` is called when the mirror at `dir` is removed: its owner must clone it again. */
  register(dir: string, forget: () => void): void {
    this.forgetters.set(path.basename(dir), forget);
  }

  /** Runs `work` with the mirror at `dir` in use (waiting for a removal of it to finish first). */
  async use<T>(dir: string, work: () => Promise<T>): Promise<T> {
    const name = path.basename(dir);
    for (let removal = this.removals.get(name); removal; removal = this.removals.get(name)) await removal;
    this.users.set(name, (this.users.get(name) ?? 0) + 1);
    try {
      await touch(dir);
      return await work();
    } finally {
      const left = (this.users.get(name) ?? 1) - 1;
      if (left > 0) this.users.set(name, left);
      else this.users.delete(name);
      await touch(dir);
    }
  }

  /** After a mirror grew: removes least recently used mirrors not in use until all fit the limit. */
  shrink(): Promise<void> {
    if (this.shrinking) {
      this.shrinkAgain = true;
      return this.shrinking;
    }
    this.shrinking = (async () => {
      do {
        this.shrinkAgain = false;
        await this.shrinkOnce();
      } while (this.shrinkAgain);
    })()
      .catch((err: unknown) => this.logger?.warn({ err, folder: this.folder }, 'could not keep the git cache within its size limit'))
      .finally(() => (this.shrinking = null));
    return this.shrinking;
  }

  private async shrinkOnce(): Promise<void> {
    await removeLeftovers(this.folder);
    const mirrors = await listMirrors(this.folder);
    let total = mirrors.reduce((sum, m) => sum + m.bytes, 0);
    for (const mirror of mirrors.sort((a, b) => a.lastUsed - b.lastUsed)) {
      if (total <= this.maxBytes) return;
      // Checked and marked with no await in between: a request cannot start using it meanwhile.
      if (this.users.has(mirror.name) || this.removals.has(mirror.name)) continue;
      const removal = removeMirror(path.join(this.folder, mirror.name));
      this.removals.set(mirror.name, removal);
      this.forgetters.get(mirror.name)?.();
      try {
        await removal;
      } finally {
        this.removals.delete(mirror.name);
      }
      total -= mirror.bytes;
      this.logger?.info({ mirror: mirror.name, bytes: mirror.bytes, lastUsed: new Date(mirror.lastUsed) }, 'removed the least recently used git mirror: the git cache is over its size limit');
    }
    if (total > this.maxBytes) this.logger?.warn({ folder: this.folder, bytes: total, limit: this.maxBytes }, 'the git cache is over its size limit, and every mirror left is in use');
  }
}

/** The mirrors in a git cache folder, with their sizes and when they were last used. */
export async function listMirrors(folder: string): Promise<MirrorFacts[]> {
  let names: string[];
  try {
    names = (await fs.readdir(folder)).filter((name) => MIRROR_NAME.test(name));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const mirrors: MirrorFacts[] = [];
  for (const name of names) {
    const dir = path.join(folder, name);
    const info = await fs.stat(dir).catch(() => null);
    if (info?.isDirectory()) mirrors.push({ name, bytes: await folderBytes(dir), lastUsed: info.mtimeMs });
  }
  return mirrors;
}

export type MirrorPruning = { removed: MirrorFacts[]; kept: number; freedBytes: number };

type PruningPolicy = { maxBytes: number; unusedForMs: number; dryRun: boolean; now?: number };

/**
 * What `gomodproxy cleanup --git-mirrors` does, in each mirror folder of the git cache (the
 * private source's, and `direct`'s under `direct/`, which is never fetched with credentials):
 * removes the mirrors not used within `unusedForMs`, then the least recently used ones until the
 * rest fit `maxBytes`, never one used within RECENTLY_USED_MS.
 */
export async function pruneMirrors(cacheDir: string, policy: PruningPolicy): Promise<MirrorPruning> {
  const own = await pruneMirrorFolder(cacheDir, policy);
  const direct = await pruneMirrorFolder(path.join(cacheDir, 'direct'), policy);
  return {
    removed: [...own.removed, ...direct.removed.map((m) => ({ ...m, name: `direct/${m.name}` }))],
    kept: own.kept + direct.kept,
    freedBytes: own.freedBytes + direct.freedBytes,
  };
}

async function pruneMirrorFolder(
  folder: string,
  policy: PruningPolicy,
): Promise<MirrorPruning> {
  const now = policy.now ?? Date.now();
  const mirrors = (await listMirrors(folder)).sort((a, b) => a.lastUsed - b.lastUsed);
  let total = mirrors.reduce((sum, m) => sum + m.bytes, 0);
  const removed: MirrorFacts[] = [];
  for (const mirror of mirrors) {
    const idle = now - mirror.lastUsed;
    if (idle < RECENTLY_USED_MS) continue;
    if (idle < policy.unusedForMs && total <= policy.maxBytes) continue;
    if (!policy.dryRun) await removeMirror(path.join(folder, mirror.name));
    removed.push(mirror);
    total -= mirror.bytes;
  }
  return { removed, kept: mirrors.length - removed.length, freedBytes: removed.reduce((sum, m) => sum + m.bytes, 0) };
}

/** What a killed process left: half-made clones, exports, half-removed mirrors (once idle long enough that no process uses them). */
const LEFTOVER = /\.git\.(tmp|removed)-[0-9a-f]+$|^export-/;

async function removeLeftovers(folder: string): Promise<void> {
  const now = Date.now();
  for (const name of await fs.readdir(folder).catch(() => [] as string[])) {
    if (!LEFTOVER.test(name)) continue;
    const info = await fs.stat(path.join(folder, name)).catch(() => null);
    if (info && now - info.mtimeMs > RECENTLY_USED_MS) await fs.rm(path.join(folder, name), { recursive: true, force: true });
  }
}

async function removeMirror(dir: string): Promise<void> {
  const away = `${dir}.removed-${randomBytes(6).toString('hex')}`;
  try {
    await fs.rename(dir, away);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  await fs.rm(away, { recursive: true, force: true });
}

async function touch(dir: string): Promise<void> {
  const now = new Date();
  await fs.utimes(dir, now, now).catch(() => {});
}

async function folderBytes(dir: string): Promise<number> {
  let bytes = 0;
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const info = await fs.stat(path.join(entry.parentPath, entry.name)).catch(() => null);
    if (info) bytes += info.size;
  }
  return bytes;
}

/** The repository URL a mirror was cloned from (its `remote.origin.url`); null when it cannot be read. */
export async function mirrorOrigin(folder: string, name: string): Promise<string | null> {
  const config = await fs.readFile(path.join(folder, name, 'config'), 'utf8').catch(() => null);
  return config ? (/^\s*url\s*=\s*(\S+)\s*$/m.exec(config)?.[1] ?? null) : null;
}
