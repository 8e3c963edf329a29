// The measured act of most benchmarks: one `go mod download` of a list of module versions into a
// fresh, empty module cache, timed from the go command's start to its exit.

import { makeGoHome, runGo, type GoEnvOptions } from '../test/fixtures/goCommand.ts';

const DOWNLOAD_TIMEOUT_MS = 300_000;

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
