// The peer the issue measures against: Athens (github.com/gomods/athens), optional. The Go module
// registry does not serve it here, so the project neither downloads nor builds it: a person builds
// it by hand (bench/README.md, "Athens, by hand") and names the binary in ATHENS_BIN; without it,
// the Athens columns are left out and the reason is printed.
//
// Athens fetches a missing version by running `go mod download -json mod@version` (and lists
// versions with `go list -m -versions`) in a throw-away GOPATH; GoBinaryEnvVars is the whole of
// what that go command is told. It gets the environment goEnv gives every go command of this
// repository (GOPROXY = the benchmark's upstream on 127.0.0.1 or file://, GOSUMDB=off,
// GOTOOLCHAIN=local, GOENV=off, telemetry off), so it can reach nothing else. SumDBs is empty (no
// route to a public checksum database), disk storage in a fresh folder, listening on 127.0.0.1;
// everything else is Athens' default (10 fetch workers, 30 protocol workers, download mode sync,
// network mode strict), as a user would run it.

import { existsSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { goEnv, removeTempDir } from '../test/fixtures/goCommand.ts';
import type { Cleanup } from './cleanup.ts';
import { checkLocalUpstream, spawnServer, type ChildServer } from './processes.ts';

/** The Athens binary ATHENS_BIN names and its version, or why there is none. */
export function locateAthens(): { path: string; version: string } | { missing: string } {
  const path = process.env['ATHENS_BIN'];
  if (!path) return { missing: 'ATHENS_BIN is not set (bench/README.md, "Athens, by hand", says how to build it)' };
  if (!existsSync(path)) return { missing: `ATHENS_BIN names ${path}, which does not exist` };
  // `athens -version` prints "Build Details:\n\tVersion:\tv0.18.0\n\tDate:\t\t…".
  const printed = spawnSync(path, ['-version'], { encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '' } }).stdout ?? '';
  const version = /Version:\s*(\S+)/.exec(printed)?.[1] ?? '(version unknown)';
  return { path, version };
}

export type AthensOptions = {
  /** Athens' LogLevel (default warn, as the proxy runs in the benchmarks; debug logs every go command). */
  logLevel?: string;
};

/** Spawns Athens in front of upstream with empty disk storage; stop() also removes what it stored. */
export async function spawnAthens(cleanup: Cleanup, athens: string, upstream: string, options: AthensOptions = {}): Promise<ChildServer> {
  checkLocalUpstream(upstream);
  const folder = await cleanup.tempFolder('gomodproxy-bench-athens-');
  for (const sub of ['storage', 'goget', 'home']) await mkdir(join(folder, sub));
  const server = await spawnServer(cleanup, {
    what: 'Athens',
    command: athens,
    args: (port) => {
      const config = join(folder, `athens-${port}.toml`);
      writeFileSync(config, athensConfig({ folder, port, upstream, logLevel: options.logLevel ?? 'warn' }));
      return ['-config_file', config];
    },
    readyPath: '/readyz',
    pollMs: 5,
    // Only PATH (spawnServer's): no ATHENS_* or GO* variable of this process reaches Athens.
    env: () => ({}),
  });
  return { ...server, stop: async () => (await server.stop(), await removeTempDir(folder)) };
}

// Athens sets these itself for each fetch (a throw-away GOPATH and build cache per go command).
const setByAthens = new Set(['PATH', 'GOPATH', 'GOMODCACHE', 'GOCACHE', 'CGO_ENABLED']);

/** The go command's environment inside Athens: the repository's local-only goEnv, GOFLAGS as Athens' docs advise. */
export function athensGoEnvironment(home: string, upstream: string): string[] {
  const env = goEnv({ home, goproxy: upstream, extra: { GOFLAGS: '-mod=mod' } });
  return Object.entries(env)
    .filter(([key]) => !setByAthens.has(key))
    .map(([key, value]) => `${key}=${value ?? ''}`);
}

function athensConfig(o: { folder: string; port: number; upstream: string; logLevel: string }): string {
  const toml = (value: string | number | string[]): string => JSON.stringify(value);
  return `# Written by bench/athens.ts for one benchmark run.
GoEnv = "development"
GoBinary = "go"
GoBinaryEnvVars = ${toml(athensGoEnvironment(join(o.folder, 'home'), o.upstream))}
GoGetDir = ${toml(join(o.folder, 'goget'))}
GoGetWorkers = 10
ProtocolWorkers = 30
LogLevel = ${toml(o.logLevel)}
LogFormat = "plain"
CloudRuntime = "none"
StorageType = "disk"
Port = ${toml(`127.0.0.1:${o.port}`)}
GlobalEndpoint = ""
TraceExporter = ""
SumDBs = []
NoSumPatterns = []
DownloadMode = "sync"
NetworkMode = "strict"
ShutdownTimeout = 2
[Storage]
  [Storage.Disk]
    RootPath = ${toml(join(o.folder, 'storage'))}
`;
}
