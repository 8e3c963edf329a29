// What `go mod download all` asks an upstream for, against what `gomodproxy prefetch` asks the same
// upstream for, given the same go.mod (or go.work): the go command is the oracle of which .info,
// .mod and .zip files a module graph needs.
import { cp, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { makeGoHome, makeTempDir, removeTempDir, runGo } from '../fixtures/goCommand.ts';
import type { Upstream } from '../fixtures/upstreamServer.ts';
import { runGomodproxy } from './harness.ts';

/** The files asked for, each as `<escaped module path>/@v/<escaped version>.<ext>`, sorted. */
export type AskedFiles = { info: string[]; mod: string[]; zip: string[] };

export type DownloadAllComparison = {
  go: AskedFiles;
  prefetch: AskedFiles;
  /** prefetch's standard output and exit code. */
  prefetchRun: { code: number; stdout: string; stderr: string };
  /** The store prefetch filled (removed by dispose). */
  store: string;
  dispose(): Promise<void>;
};

function askedSince(upstream: Upstream, from: number): AskedFiles {
  const asked: AskedFiles = { info: [], mod: [], zip: [] };
  for (const request of upstream.requests.slice(from)) {
    const ext = /\/@v\/[^/]+\.(info|mod|zip)$/.exec(request.path)?.[1] as keyof AskedFiles | undefined;
    if (ext !== undefined) asked[ext].push(request.path.replace(/^\//, ''));
  }
  for (const list of Object.values(asked)) list.sort();
  return asked;
}

/** The upstream must not be asked twice for one file by either side. */
function distinct(asked: AskedFiles): AskedFiles {
  return { info: [...new Set(asked.info)], mod: [...new Set(asked.mod)], zip: [...new Set(asked.zip)] };
}

/**
 * Runs `go mod download all` (GOFLAGS=-mod=mod, a fresh module cache, GOSUMDB=off: go.sum, where
 * the folder has one, is what the hashes are checked against) in a copy of `folder`, then
 * `gomodproxy prefetch <input>` into a fresh store, both with `upstream` as their only upstream.
 */
export async function compareDownloadAll(folder: string, input: 'go.mod' | 'go.work', upstream: Upstream): Promise<DownloadAllComparison> {
  const work = await makeTempDir('gomodproxy-download-all-');
  const pristine = join(work, 'prefetch');
  const copy = join(work, 'go');
  await cp(folder, pristine, { recursive: true });
  await cp(folder, copy, { recursive: true });
  const goFrom = upstream.requests.length;
  const home = await makeGoHome({
    goproxy: upstream.url,
    extra: { GOFLAGS: '-modcacherw -mod=mod', ...(input === 'go.work' && { GOWORK: join(copy, 'go.work') }) },
  });
  try {
    await runGo(['mod', 'download', 'all'], { cwd: copy, env: home.env, timeoutMs: 300_000 });
  } finally {
    await home.dispose();
  }
  const go = askedSince(upstream, goFrom);

  const store = join(work, 'store');
  const prefetchFrom = upstream.requests.length;
  const prefetchRun = await runGomodproxy(['prefetch', '--storage-path', store, '--upstream', upstream.url, join(pristine, input)]);
  const prefetch = askedSince(upstream, prefetchFrom);
  if (JSON.stringify(distinct(prefetch)) !== JSON.stringify(prefetch)) throw new Error(`prefetch asked for a file twice: ${JSON.stringify(prefetch)}`);
  return { go: distinct(go), prefetch, prefetchRun, store, dispose: () => removeTempDir(work) };
}

/** Bytes of the files of an upstream tree that these asked files name. */
export async function askedBytes(root: string, asked: AskedFiles): Promise<number> {
  let bytes = 0;
  for (const file of [...asked.mod, ...asked.zip, ...asked.info]) bytes += (await stat(join(root, file))).size;
  return bytes;
}
