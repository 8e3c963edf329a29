// Private modules from git (issue 3): how long a cold `go mod download` of 20 private module
// versions takes through the proxy, which builds them straight from the git repositories, against
// the go command doing the same itself with GOPROXY=direct, from the same local git server.
//
//   node bench/privateDownload.ts [--rounds 5]
//
// Cold: each round, a fresh proxy process with an empty store and an empty git cache (spawned
// before the clock starts), and a fresh GOMODCACHE on both sides, so both clone the repositories
// from scratch. The git server counts the protocol-v2 `fetch` requests of each side: the proxy
// mirrors each repository once for all its modules and versions; the go command fetches per version.
// Warm: the same 20 versions from a proxy that already holds them, against GOPROXY=file:// of that
// proxy's own store (the floor). The order of the sides alternates from round to round.
// Target: cold proxy / direct ≤ 1.0.
//
// All git traffic goes to the test git server on 127.0.0.1 (test/fixtures/gitServer.ts): the
// proxy through its git host map (github.com -> http://127.0.0.1:port, in a --config file), the go
// command through the throw-away git config that rewrites https://github.com/acme/ to it.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildGitRepos, gitEnvExtra, type GitRepos } from '../test/fixtures/gitRepos.ts';
import { startGitServer, writeGitConfig, type GitServer } from '../test/fixtures/gitServer.ts';
import { fileProxyUrl, goModDownloadJson, makeGoHome, removeTempDir, runGo, type GoHome, type GoModDownload } from '../test/fixtures/goCommand.ts';
import { withCleanup } from './cleanup.ts';
import { spawnProxyProcess, type ChildServer } from './processes.ts';
import { median, progress, runStandalone, sideBySide, type BenchResult } from './results.ts';

export type PrivateDownloadOptions = {
  /** Timed rounds, each one download from each of the four sides (default 5). */
  rounds: number;
};

export const privateDownloadDefaults: PrivateDownloadOptions = { rounds: 5 };

const DOWNLOAD_TIMEOUT_MS = 120_000;

/**
 * The queries whose outcomes (in buildGitRepos' cases) give the 20 versions: tagged releases, a
 * pre-release, pseudo-versions, sub-directory and major-version modules and an +incompatible
 * version, from 10 repositories; 6 versions of acme-base and 4 modules of the acme-mono monorepo,
 * so that one fetch per repository shows. A function of the built repositories: hash queries need
 * the fixture's commit hashes.
 */
function selectedQueries(built: GitRepos): string[] {
  const m = (name: string): string => `github.com/acme/${name}`;
  const short = (commit: string): string => {
    const hash = built.commits[commit];
    if (hash === undefined) throw new Error(`no fixture commit ${commit}`);
    return hash.slice(0, 12);
  };
  return [
    `${m('base')}@v1.0.0`,
    `${m('base')}@v1.1.0`,
    `${m('base')}@v1.2.3`,
    `${m('base')}@v1.3.0-beta.1`,
    `${m('base')}@main`, // v1.2.4-0.<time>-<hash>
    `${m('base')}@${short('acme-base/first')}`, // v0.0.0-<time>-<hash>
    `${m('mono')}@v1.0.0`,
    `${m('mono')}@latest`, // v1.1.0
    `${m('mono')}/api@v0.1.0`,
    `${m('mono')}/storage@v1.0.0`,
    `${m('tools')}/cli@v1.2.3`,
    `${m('tools')}/cli@latest`, // v1.3.0
    `${m('multi')}@v1.1.0`,
    `${m('multi')}/v2@v2.0.0`,
    `${m('major')}/v2@v2.0.0`,
    `${m('legacy')}@v3.0.0+incompatible`,
    `${m('retract')}@latest`, // v1.1.0
    `${m('untagged')}@latest`, // v0.0.0-<time>-<hash>
    `${m('vendored')}@v1.1.0`,
    `${m('annotated')}@v1.2.0`,
  ];
}

/** module@version for each selected query, the version being what the go command resolves it to. */
function selectVersions(built: GitRepos): string[] {
  const outcomes = new Map(built.cases.flatMap((c) => Object.entries(c.outcomes)));
  const versions = selectedQueries(built).map((query) => {
    const outcome = outcomes.get(query);
    if (outcome === undefined || !('version' in outcome)) throw new Error(`${query} is not a case of buildGitRepos that succeeds`);
    return `${query.slice(0, query.lastIndexOf('@'))}@${outcome.version}`;
  });
  if (new Set(versions).size !== versions.length) throw new Error(`the selected versions repeat: ${versions.join(' ')}`);
  return versions;
}

/** The repository (acme-<name>) of a module version, as the git server names it. */
function repositoryOf(moduleVersion: string): string {
  return `acme-${moduleVersion.split('/')[2]!.split('@')[0]!}`;
}

type GitTraffic = { fetches: number; requests: number };

/** What the git server saw since request index `from`. */
function trafficSince(server: GitServer, from: number): GitTraffic {
  const requests = server.requests.slice(from);
  return { fetches: requests.filter((r) => r.command === 'fetch').length, requests: requests.length };
}

export function privateDownload(options: Partial<PrivateDownloadOptions> = {}): Promise<BenchResult> {
  const { rounds } = { ...privateDownloadDefaults, ...options };
  const began = performance.now();
  return withCleanup(async (cleanup) => {
    progress('private download: building the fixture git repositories');
    const root = await cleanup.tempFolder('gomodproxy-bench-git-repos-');
    const built = await buildGitRepos(root);
    const server = await startGitServer(root);
    cleanup.defer('stop the git server', () => server.close());
    if (new URL(server.url).hostname !== '127.0.0.1') throw new Error(`git server ${server.url} is not on 127.0.0.1`);
    const moduleVersions = selectVersions(built);
    const repositories = new Set(moduleVersions.map(repositoryOf));

    /** A proxy process building github.com/acme/... from the git server, with its own store and git cache. */
    const startProxy = async (label: string): Promise<{ proxy: ChildServer; storage: string; dispose(): Promise<void> }> => {
      const folder = await cleanup.tempFolder(`gomodproxy-bench-private-${label}-`);
      const storage = join(folder, 'store');
      const configFile = join(folder, 'gomodproxy.yaml');
      // JSON is YAML. upstream and storage come from GOMODPROXY_* (spawnProxyProcess); the host
      // map has no variable.
      const settings = {
        private: ['github.com/acme'],
        upstream: 'off',
        git: { hosts: { 'github.com': { url: server.url } }, cacheDir: join(folder, 'git') },
      };
      await writeFile(configFile, JSON.stringify(settings, null, 2) + '\n');
      const proxy = await spawnProxyProcess(cleanup, { upstream: 'off', storagePath: storage, serveArgs: ['--config', configFile] });
      return {
        proxy,
        storage,
        async dispose() {
          await proxy.stop();
          await removeTempDir(folder);
        },
      };
    };

    /** A fresh go home: through a proxy URL (or file://), or GOPROXY=direct to the git server. */
    const goHome = async (goproxy: string): Promise<GoHome> => {
      if (goproxy !== 'direct') return makeGoHome({ goproxy });
      const home = await makeGoHome({ goproxy: 'direct', allowDirect: true, extra: gitEnvExtra() });
      await writeGitConfig(home.home, server.url);
      return home;
    };

    /** One `go mod download` of every version into a fresh module cache; seconds and git traffic. */
    const download = async (goproxy: string): Promise<{ seconds: number; traffic: GitTraffic }> => {
      const home = await goHome(goproxy);
      try {
        const from = server.requests.length;
        const started = performance.now();
        await runGo(['mod', 'download', ...moduleVersions], { cwd: home.home, env: home.env, timeoutMs: DOWNLOAD_TIMEOUT_MS });
        const seconds = (performance.now() - started) / 1000;
        return { seconds, traffic: trafficSince(server, from) };
      } finally {
        await home.dispose();
      }
    };

    // Untimed: both ways must give the same versions, zips and go.mod files. This also fills the
    // warm proxy and warms the machine (git, go, the page cache) for the first timed round.
    progress(`private download: checking ${moduleVersions.length} versions (${repositories.size} repositories) both ways`);
    const warm = await startProxy('warm');
    const check = async (goproxy: string): Promise<GoModDownload[]> => {
      const home = await goHome(goproxy);
      try {
        return await goModDownloadJson(moduleVersions, { env: home.env, cwd: home.home, timeoutMs: DOWNLOAD_TIMEOUT_MS });
      } finally {
        await home.dispose();
      }
    };
    const viaDirect = await check('direct');
    const viaProxy = await check(warm.proxy.url);
    moduleVersions.forEach((moduleVersion, i) => {
      const d = viaDirect[i];
      const p = viaProxy[i];
      if (d === undefined || d.Error !== undefined) throw new Error(`${moduleVersion} with GOPROXY=direct: ${d?.Error ?? 'no answer'}`);
      if (p === undefined || p.Error !== undefined) throw new Error(`${moduleVersion} through the proxy: ${p?.Error ?? 'no answer'}\n${warm.proxy.output()}`);
      if (`${p.Path}@${p.Version}` !== moduleVersion || p.Sum !== d.Sum || p.GoModSum !== d.GoModSum) {
        throw new Error(`${moduleVersion}: the proxy gave ${p.Version} ${p.Sum} ${p.GoModSum}, direct ${d.Version} ${d.Sum} ${d.GoModSum}`);
      }
    });
    const floor = fileProxyUrl(warm.storage);
    await download(floor); // the store works as GOPROXY=file:// (throws if not)

    const cold = { proxy: [] as number[], direct: [] as number[] };
    const fetches = { proxy: [] as number[], direct: [] as number[] };
    const requests = { proxy: [] as number[], direct: [] as number[] };
    const warmSeconds = { proxy: [] as number[], floor: [] as number[] };
    const readyMs: number[] = [];

    const coldProxy = async (): Promise<void> => {
      const fresh = await startProxy('cold');
      readyMs.push(fresh.proxy.readyMs);
      try {
        const { seconds, traffic } = await download(fresh.proxy.url);
        cold.proxy.push(seconds);
        fetches.proxy.push(traffic.fetches);
        requests.proxy.push(traffic.requests);
      } finally {
        await fresh.dispose();
      }
    };
    const coldDirect = async (): Promise<void> => {
      const { seconds, traffic } = await download('direct');
      cold.direct.push(seconds);
      fetches.direct.push(traffic.fetches);
      requests.direct.push(traffic.requests);
    };
    const warmProxy = async (): Promise<void> => {
      const { seconds, traffic } = await download(warm.proxy.url);
      if (traffic.requests !== 0) throw new Error(`the warm proxy asked the git server ${traffic.requests} times`);
      warmSeconds.proxy.push(seconds);
    };
    const warmFloor = async (): Promise<void> => {
      warmSeconds.floor.push((await download(floor)).seconds);
    };

    for (let round = 0; round < rounds; round++) {
      const coldOrder = round % 2 === 0 ? [coldProxy, coldDirect] : [coldDirect, coldProxy];
      const warmOrder = round % 2 === 0 ? [warmProxy, warmFloor] : [warmFloor, warmProxy];
      for (const side of [...coldOrder, ...warmOrder]) await side();
      progress(
        `private download: round ${round + 1}/${rounds}: cold proxy ${cold.proxy.at(-1)!.toFixed(2)} s (${fetches.proxy.at(-1)} fetches), ` +
          `direct ${cold.direct.at(-1)!.toFixed(2)} s (${fetches.direct.at(-1)} fetches); ` +
          `warm proxy ${warmSeconds.proxy.at(-1)!.toFixed(2)} s, file:// ${warmSeconds.floor.at(-1)!.toFixed(2)} s`,
      );
    }

    const n = moduleVersions.length;
    const notes: string[] = [];
    const spread = (values: number[]): string => `${Math.min(...values)}–${Math.max(...values)}`;
    if (new Set(fetches.proxy).size > 1 || new Set(fetches.direct).size > 1) {
      notes.push(`git fetch requests varied from round to round: proxy ${spread(fetches.proxy)}, direct ${spread(fetches.direct)}.`);
    }
    return {
      name: 'private',
      title: 'Private download',
      setup:
        `\`go mod download\` of ${n} private module versions (${repositories.size} git repositories of buildGitRepos: ` +
        `${moduleVersions.filter((v) => repositoryOf(v) === 'acme-base').length} versions of acme-base, ` +
        `${moduleVersions.filter((v) => repositoryOf(v) === 'acme-mono').length} modules of acme-mono; tags, pseudo-versions, ` +
        `sub-directory and /v2 modules, +incompatible) into a fresh GOMODCACHE, median of ${rounds} rounds, the order of the sides alternating. ` +
        `Cold: a fresh proxy process (log level warn) with an empty store and git cache each round ` +
        `(spawned before the clock starts; ready in a median ${median(readyMs).toFixed(0)} ms) vs the go command with GOPROXY=direct cloning for itself, ` +
        `both from the same git server (git-http-backend behind node:http in the driver process, on 127.0.0.1). ` +
        `Warm: a proxy holding the versions vs GOPROXY=file:// of its own store. Git fetches are protocol-v2 \`fetch\` requests the git server saw per cold download.`,
      measurements: [
        sideBySide(
          { measure: `\`go mod download\` ${n} private versions, cold proxy (git) vs GOPROXY=direct`, unit: 's', baselineName: 'direct', target: { on: 'ratio', atMost: 1.0 } },
          cold.proxy,
          cold.direct,
        ),
        sideBySide(
          { measure: `git fetch requests per cold download of ${n} versions (${repositories.size} repositories), proxy vs direct`, unit: 'fetches', baselineName: 'direct' },
          fetches.proxy,
          fetches.direct,
        ),
        sideBySide(
          { measure: `git HTTP requests (all) per cold download of ${n} versions, proxy vs direct`, unit: 'requests', baselineName: 'direct' },
          requests.proxy,
          requests.direct,
        ),
        sideBySide(
          { measure: `\`go mod download\` ${n} private versions, warm proxy vs GOPROXY=file:// of its store`, unit: 's', baselineName: 'file://' },
          warmSeconds.proxy,
          warmSeconds.floor,
        ),
      ],
      notes,
      seconds: (performance.now() - began) / 1000,
    };
  });
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { rounds: { type: 'string' } } });
  await runStandalone(() => privateDownload({ ...(values.rounds !== undefined && { rounds: Number(values.rounds) }) }));
}
