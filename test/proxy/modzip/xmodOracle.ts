// golang.org/x/mod as an oracle, without the network: xmodOracle/main.go built against the copy of
// x/mod that the go command vendors (GOROOT/src/cmd/vendor/golang.org/x/mod), so its answers are
// those of the go command on this machine. The build is kept under the system temp dir, keyed by
// the program and the go version, and reused by later runs.

import { goEnv, makeTempDir, removeTempDir } from '../../fixtures/goCommand.ts';
import { buildXmodProgram, runProgram } from '../../fixtures/xmodProgram.ts';

export type OracleJob =
  | { op: 'fromVCS'; module: string; version: string; dir: string; rev: string; subdir: string; zip: string }
  | { op: 'fromDir'; module: string; version: string; dir: string; zip: string }
  | { op: 'check'; module: string; version: string; zip: string; unzip: boolean };

/** The h1: hash and the file names (without the module@version/ prefix, sorted), or the error. */
export type OracleResult = { hash?: string; files: string[]; error?: string };

const source = new URL('./xmodOracle/main.go', import.meta.url);

/** Build the oracle (once per program and go version) and return the path of its binary. */
export function buildXmodOracle(): Promise<string> {
  return buildXmodProgram('xmodoracle', source);
}

/** Run jobs through the oracle binary; git (for fromVCS) runs with a throw-away HOME and no config. */
export async function runXmodOracle(binary: string, jobs: OracleJob[]): Promise<OracleResult[]> {
  const home = await makeTempDir('gomodproxy-xmod-run-');
  try {
    const env = goEnv({ home, goproxy: 'off' });
    const stdout = await runProgram(binary, { input: JSON.stringify(jobs), env });
    return JSON.parse(stdout) as OracleResult[];
  } finally {
    await removeTempDir(home);
  }
}
