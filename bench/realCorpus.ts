// The real-module corpus: the module graph of bench/corpus/go.mod (cobra, client_golang, grpc,
// client-go, gin, echo, the etcd client, aws-sdk-go and aws-sdk-go-v2, pgx, zap, viper, gorm,
// go-redis, google.golang.org/api…), as the go command downloads it.
//
// On first use the go command fills a module cache of its own under
// ~/.cache/gomodproxy-bench-corpus from the registry it is configured for (the one step of any
// benchmark that leaves this machine; `go mod download all` with the pinned go.sum); later runs
// reuse it. Its download folder (cache/download) is a GOPROXY tree: the benchmarks serve it from
// 127.0.0.1 or as file://.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { copyFile, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, relative } from 'node:path';
import { makeTempDir, removeTempDir } from '../test/fixtures/goCommand.ts';
import { progress } from './results.ts';

const corpusSource = join(import.meta.dirname, 'corpus');
const cacheRoot = join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'gomodproxy-bench-corpus');

export type RealCorpus = {
  /** The GOPROXY tree: <module cache>/cache/download. */
  downloadDir: string;
  /** Every module version with a zip, as module@version. */
  moduleVersions: string[];
  zipBytes: number;
  /** Zips over 10 MiB, as module@version (size in MiB). */
  largeZips: string[];
};

/** The corpus, filled by the go command on first use. */
export async function realCorpus(): Promise<RealCorpus> {
  const modCache = join(cacheRoot, 'mod');
  const marker = join(cacheRoot, 'filled-from');
  const goSum = readFileSync(join(corpusSource, 'go.sum'));
  const want = createHash('sha256').update(readFileSync(join(corpusSource, 'go.mod'))).update(goSum).digest('hex');
  const have = await readFile(marker, 'utf8').catch(() => '');
  if (have.trim() !== want) {
    progress(`real corpus: filling ${modCache} with the go command (go mod download all of bench/corpus/go.mod; once)`);
    const work = await makeTempDir('gomodproxy-bench-corpus-');
    try {
      await copyFile(join(corpusSource, 'go.mod'), join(work, 'go.mod'));
      await copyFile(join(corpusSource, 'go.sum'), join(work, 'go.sum'));
      execFileSync('go', ['mod', 'download', 'all'], {
        cwd: work,
        stdio: ['ignore', 'inherit', 'inherit'],
        // The go command's own registry settings (GOPROXY, GOSUMDB, GOFLAGS…) as configured here.
        env: { ...process.env, GOMODCACHE: modCache, GOFLAGS: '-modcacherw -mod=readonly', GOTOOLCHAIN: 'local', GOWORK: 'off' },
      });
    } finally {
      await removeTempDir(work);
    }
    await writeFile(marker, want + '\n');
  }
  const downloadDir = join(modCache, 'cache', 'download');
  const moduleVersions: string[] = [];
  const largeZips: string[] = [];
  let zipBytes = 0;
  for (const zip of await zipsUnder(downloadDir)) {
    const [escapedModule, file] = relative(downloadDir, zip).split('/@v/') as [string, string];
    const moduleVersion = `${unescape(escapedModule)}@${unescape(file.slice(0, -'.zip'.length))}`;
    const { size } = await stat(zip);
    moduleVersions.push(moduleVersion);
    zipBytes += size;
    if (size > 10 << 20) largeZips.push(`${moduleVersion} (${(size / 2 ** 20).toFixed(0)} MiB)`);
  }
  return { downloadDir, moduleVersions: moduleVersions.sort(), zipBytes, largeZips };
}

async function zipsUnder(folder: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(folder, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.zip')) found.push(join(entry.parentPath, entry.name));
  }
  return found;
}

/** Undoes the module cache's !-escaping of upper-case letters. */
function unescape(escaped: string): string {
  return escaped.replace(/!([a-z])/g, (_, letter: string) => letter.toUpperCase());
}
