// The measured act of most benchmarks: one `go mod download` of a list of module versions into a
// fresh, empty module cache, timed from the go command's start to its exit.

import { makeGoHome, runGo, type GoEnvOptions } from '../test/fixtures/goCommand.ts';

// Generous: on the shared 2-core machine, with the benchmark at nice 19 beside other people's
// builds, one cold download of the 197 real versions took more than 5 minutes.
const DOWNLOAD_TIMEOUT_MS = 1_200_000;

/** Seconds one `go mod download` of moduleVersions takes with a fresh GOPATH and module cache. */
export async function timedGoModDownload(moduleVersions: string[], env: Omit<GoEnvOptions, 'home'>): Promise<number> {
  const goHome = await makeGoHome(env);
  try {
    const started = performance.now();
    await runGo(['mod', 'download', ...moduleVersions], { cwd: goHome.home, env: goHome.env, timeoutMs: DOWNLOAD_TIMEOUT_MS });
    return (performance.now() - started) / 1000;
  } finally {
    await goHome.dispose();
  }
}
