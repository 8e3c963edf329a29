/**
 * Storage on a local disk, in the Go module cache's download layout, so the
 * folder itself serves as GOPROXY=file://<folder>.
 *
 * Crash safety: every file is written to <root>/.staging, fsync'ed, and only
 * then linked (immutable files: link fails if the name exists, so the first
 * complete write wins and nothing is ever overwritten) or renamed (mutable
 * files) into place. A crash at any moment, a power loss included, leaves
 * either no file or a complete one: a name is made only for content already
 * on disk. The folder is not fsync'ed after the link or rename: that would
 * only make the new name itself durable before the answer, and a name lost
 * in a power loss means one fetch more later (the zip's h1 is computed again
 * when its .ziphash is missing), never a wrong file. So the one fsync left
 * per stored file is that of its content, and it stays: without it a crash
 * could leave a name whose content was never written (an empty or short
 * .info, .mod or zip that would be served as stored). The module service
 * keeps it off the answer's path where it can: the `list` and the provenance
 * records are written in the background, a cold .info is answered before
 * its store ends, and a version's .mod and .zip are fetched and stored while
 * the go command still waits for its .info. Staging leftovers are
 * removed at the next start (staging.ts). A write that fails (a full disk)
 * is a storage failure (507/503), and leaves nothing staged.
 */
import { constants, readdirSync, stat, statSync, type Dirent, type Stats } from 'node:fs';
import fs, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { storageWriteFailure } from '../errors.ts';
import { StagingArea } from './staging.ts';
import { checkStorageKey, type ListedKey, type OpenedObject, type Storage, type StoredObject } from './storage.ts';

const STAGING = '.staging';
/** How long a walk of the store reads folders or stats files without letting the event loop turn. */
const TURN_MS = 2;
/** An empty, "." or ".." element, an absolute path, a backslash or a NUL: what no listed key holds. */
const LEAVES_FOLDER = /(^|\/)\.{0,2}(\/|$)|\\|\0/;

export class DiskStorage implements Storage {
  readonly root: string;
  readonly description: string;
  private readonly staging: StagingArea;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.staging = new StagingArea(path.join(this.root, STAGING));
    this.description = `disk ${this.root}`;
  }

  async open(): Promise<void> {
    try {
      await fs.mkdir(this.root, { recursive: true });
      await fs.access(this.root, constants.R_OK | constants.W_OK);
      // Only the staging folder is looked at: start-up never scans the store.
      await this.staging.open();
    } catch (err) {
      throw new Error(`storage folder ${this.root} cannot be used: ${(err as NodeJS.ErrnoException).code ?? err}; create it or make it writable`);
    }
  }

  checkWritable(): Promise<void> {
    return this.staging.checkWritable();
  }

  private file(key: string): string {
    checkStorageKey(key);
    // A checked key has no empty, "." or ".." element, so on a system whose separator is "/" it is
    // the relative path as it stands (path.join's normalising costs a whole-store walk seconds).
    const file = path.sep === '/' ? `${this.root}/${key}` : path.join(this.root, ...key.split('/'));
    if (!file.startsWith(this.root + path.sep)) throw new Error(`refusing storage key ${JSON.stringify(key)}: outside the store`);
    return file;
  }

  /**
   * The file of a key as a walk of the store lists it: any name the folder holds (a file the store
   * did not write, a marker or an editor's backup, is no storage key, yet uses bytes all the
   * same), but never a path that leads out of the store.
   */
  private listedFile(key: string): string {
    if (LEAVES_FOLDER.test(key)) throw new Error(`refusing listed key ${JSON.stringify(key)}: not a path inside the store`);
    return path.sep === '/' ? `${this.root}/${key}` : path.join(this.root, ...key.split('/'));
  }

  async stat(key: string): Promise<StoredObject | null> {
    try {
      const info = await statFile(this.file(key));
      return info.isFile() ? { size: info.size, modified: info.mtime } : null;
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async read(key: string): Promise<OpenedObject | null> {
    let handle: FileHandle;
    try {
      handle = await fs.open(this.file(key), 'r');
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
    // The open descriptor keeps the content readable even if cleanup unlinks the name.
    try {
      const info = await handle.stat();
      return {
        size: info.size,
        modified: info.mtime,
        stream: (range) => handle.createReadStream(range ?? { start: 0, end: Math.max(0, info.size - 1) }),
        readAt: async (buffer, position) => (await handle.read(buffer, 0, buffer.byteLength, position)).bytesRead,
        close: () => handle.close(),
      };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async readBytes(key: string): Promise<Buffer | null> {
    try {
      return await fs.readFile(this.file(key));
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    const target = this.file(key);
    const staged = await this.stageBytes(data, key);
    try {
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.rename(staged, target);
    } catch (err) {
      throw storageWriteFailure(err, `storing ${key}`);
    } finally {
      await fs.rm(staged, { force: true });
    }
  }

  async putImmutable(key: string, data: Uint8Array | { file: string }): Promise<boolean> {
    const target = this.file(key);
    const staged = data instanceof Uint8Array ? await this.stageBytes(data, key) : await syncFile(data.file).catch((err: unknown) => Promise.reject(storageWriteFailure(err, `storing ${key}`)));
    try {
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.link(staged, target);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw storageWriteFailure(err, `storing ${key}`);
    } finally {
      await fs.rm(staged, { force: true });
    }
  }

  async stagingFile(hint: string): Promise<string> {
    try {
      return await this.staging.file(hint);
    } catch (err) {
      throw storageWriteFailure(err, 'making a staging file');
    }
  }

  async list(prefix: string): Promise<string[]> {
    if (!prefix.endsWith('/')) throw new Error(`storage list prefix must end in "/": ${prefix}`);
    const folder = this.file(prefix.slice(0, -1));
    try {
      const entries = await fs.readdir(folder, { withFileTypes: true });
      return entries.filter((e) => e.isFile()).map((e) => e.name);
    } catch (err) {
      if (isMissing(err)) return [];
      throw err;
    }
  }

  async *keysUnder(prefix: string): AsyncIterable<string> {
    for await (const batch of this.listUnder(prefix)) for (const { key } of batch) yield key;
  }

  /**
   * One batch per folder, by readdirSync, letting the event loop turn every TURN_MS (a serving
   * proxy goes on answering meanwhile). A folder listing has no sizes or times: without
   * `stored` they are left out (a walk that needs them for only some keys fills in only those),
   * with it each batch is filled in.
   */
  async *listUnder(prefix: string, options: { stored?: boolean } = {}): AsyncIterable<ListedKey[]> {
    if (prefix !== '' && !prefix.endsWith('/')) throw new Error(`storage keysUnder prefix must end in "/": ${prefix}`);
    const folders: Array<{ path: string; key: string }> = [{ path: prefix === '' ? this.root : this.file(prefix.slice(0, -1)), key: prefix }];
    let turned = performance.now();
    for (let folder = folders.pop(); folder !== undefined; folder = folders.pop()) {
      if (performance.now() - turned > TURN_MS) {
        await nextTurn();
        turned = performance.now();
      }
      let entries: Dirent[];
      try {
        entries = readdirSync(folder.path, { withFileTypes: true });
      } catch (err) {
        if (isMissing(err)) continue; // removed since its parent was read
        throw err;
      }
      let batch: ListedKey[] = [];
      for (const entry of entries) {
        if (folder.key === '' && entry.name === STAGING) continue;
        if (entry.isDirectory()) folders.push({ path: `${folder.path}${path.sep}${entry.name}`, key: `${folder.key}${entry.name}/` });
        else if (entry.isFile()) batch.push({ key: folder.key + entry.name });
      }
      if (options.stored) {
        await this.fillStored(batch);
        // A file gone since its folder was read is no key any more.
        batch = batch.filter((listed) => listed.stored !== undefined);
      }
      if (batch.length > 0) yield batch;
    }
  }

  /**
   * By statSync, letting the event loop turn every TURN_MS: for a burst of stats the thread
   * pool's round trip costs more CPU than the stat itself (bench/README.md, cleanup), and a serving
   * proxy (the catalog's listing, the web page's cleanup dry run) goes on answering between them.
   */
  async fillStored(listed: ListedKey[]): Promise<void> {
    let turned = performance.now();
    for (const entry of listed) {
      if (entry.stored) continue;
      if (performance.now() - turned > TURN_MS) {
        await nextTurn();
        turned = performance.now();
      }
      const info = statFileSync(this.listedFile(entry.key));
      // Rounded as Node rounds a Stats' mtime; the Date itself is not made (it costs more than the stat).
      if (info?.isFile()) entry.stored = { size: info.size, modifiedMs: Math.round(info.mtimeMs) };
    }
  }

  async freeBytes(): Promise<number | null> {
    const info = await fs.statfs(this.root);
    return info.bavail * info.bsize;
  }

  async delete(key: string): Promise<void> {
    await fs.rm(this.file(key), { force: true });
  }

  /** A staged copy of `data`; on failure nothing is left behind (not even an empty file). */
  private async stageBytes(data: Uint8Array, key: string): Promise<string> {
    const staged = await this.stagingFile(key);
    try {
      const handle = await fs.open(staged, 'wx');
      try {
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
      return staged;
    } catch (err) {
      await fs.rm(staged, { force: true });
      throw storageWriteFailure(err, `storing ${key}`);
    }
  }
}

// A whole-store walk makes hundreds of thousands of stats and tens of thousands of folder reads:
// the synchronous calls cost the least CPU per call, and the walk is no faster on the thread pool
// (bench/README.md, cleanup). A single stat goes through a callback, cheaper than the promise API.

function statFile(file: string): Promise<Stats> {
  return new Promise((resolve, reject) => stat(file, (err, info) => (err ? reject(err) : resolve(info))));
}

/** null when the file is missing. */
function statFileSync(file: string): Stats | null {
  try {
    return statSync(file, { throwIfNoEntry: false }) ?? null;
  } catch (err) {
    if (isMissing(err)) return null;
    throw err;
  }
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** fsync of a file's content. */
async function syncFile(file: string): Promise<string> {
  const handle = await fs.open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  return file;
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
