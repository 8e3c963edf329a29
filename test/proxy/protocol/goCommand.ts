// Asking the real go command to agree with proxy/protocol, where that is cheap: every call here
// runs go against an empty file:// proxy or with a GOPROXY it rejects before any request.
//
// The network is kept out twice over: GOPROXY values handed to goDownloadErrors may not contain
// "direct", and HTTP(S)_PROXY point at a closed port on 127.0.0.1, so even a URL the go command
// unexpectedly accepted could only reach this machine. GOVCS=*:off forbids version control.

import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { goModDownloadJson, makeGoHome, type GoHome } from '../../fixtures/goCommand.ts';


export type GoSandbox = {
  home: GoHome;
  /** file:///… of an empty folder: every module is "not found" there. */
  emptyProxy: string;
  dispose(): Promise<void>;
};

export async function makeGoSandbox(): Promise<GoSandbox> {
  const empty = await mkdtemp(join(tmpdir(), 'gomodproxy-empty-proxy-'));
  const emptyProxy = 'file://' + empty;
  const home = await makeGoHome({ goproxy: emptyProxy });
  return {
    home,
    emptyProxy,
    async dispose() {
      await home.dispose();
      await rm(empty, { recursive: true, force: true });
    },
  };
}

function isolatedEnv(sandbox: GoSandbox, goproxy: string): NodeJS.ProcessEnv {
  if (/(^|[,|])\s*direct\s*([,|]|$)/.test(goproxy)) throw new Error(`goproxy ${goproxy}: "direct" would reach version control hosts`);
  return {
    ...sandbox.home.env,
    GOPROXY: goproxy,
    GOVCS: '*:off',
    HTTPS_PROXY: 'http://127.0.0.1:9',
    HTTP_PROXY: 'http://127.0.0.1:9',
    ALL_PROXY: 'http://127.0.0.1:9',
    NO_PROXY: '',
  };
}

/** The Error text go reports for each module@version (in order) under the given GOPROXY. */
export async function goDownloadErrors(sandbox: GoSandbox, goproxy: string, modules: string[]): Promise<string[]> {
  const results = await goModDownloadJson(modules, { env: isolatedEnv(sandbox, goproxy), timeoutMs: 60_000 });
  if (results.length !== modules.length) {
    throw new Error(`go mod download printed ${results.length} results for ${modules.length} modules`);
  }
  return results.map((r) => r.Error ?? '');
}

/**
 * The protocol path go asked the empty file:// proxy for, unescaped from the URL in its
 * "reading file:///…/<path>/@v/<version>.info: no such file" error; null for any other error.
 */
export function requestedInfoPath(sandbox: GoSandbox, error: string): { path: string; version: string } | null {
  const m = /reading (file:\/\/\S+)\/@v\/(\S+)\.info: no such file or directory/.exec(error);
  if (!m || m[1] === undefined || m[2] === undefined || !m[1].startsWith(sandbox.emptyProxy + '/')) return null;
  return {
    path: decodeURIComponent(m[1].slice(sandbox.emptyProxy.length + 1)),
    version: decodeURIComponent(m[2]),
  };
}

const pathMatchProgram = `package main

import (
	"encoding/json"
	"os"
	"path"
)

// Reads [[pattern, name], ...]; writes for each true, false, or null for a malformed pattern.
func main() {
	var cases [][2]string
	if err := json.NewDecoder(os.Stdin).Decode(&cases); err != nil {
		panic(err)
	}
	out := make([]any, len(cases))
	for i, c := range cases {
		if ok, err := path.Match(c[0], c[1]); err == nil {
			out[i] = ok
		}
	}
	json.NewEncoder(os.Stdout).Encode(out)
}
`;

/** Go's own path.Match on each [pattern, name]: true, false, or null when the pattern is malformed. */
export function goPathMatch(sandbox: GoSandbox, cases: Array<[string, string]>): Promise<Array<boolean | null>> {
  return runGoProgram(sandbox, 'pathmatch', pathMatchProgram, cases) as Promise<Array<boolean | null>>;
}

const languageVersionProgram = `package main

import (
	"encoding/json"
	"go/version"
	"os"
)

// Reads [[a, b], ...] of versions without "go"; writes for each [Lang(a), Compare(Lang(a), Lang(b))].
func main() {
	var cases [][2]string
	if err := json.NewDecoder(os.Stdin).Decode(&cases); err != nil {
		panic(err)
	}
	out := make([][2]any, len(cases))
	for i, c := range cases {
		a, b := version.Lang("go"+c[0]), version.Lang("go"+c[1])
		if len(a) > 2 { a = a[2:] }
		if len(b) > 2 { b = b[2:] }
		out[i] = [2]any{a, version.Compare("go"+a, "go"+b)}
	}
	json.NewEncoder(os.Stdout).Encode(out)
}
`;

/**
 * Go's go/version on each [a, b] (versions without "go"): the language version of a (without
 * "go"; '' when a is no Go version) and the sign of comparing it with b's.
 */
export function goLanguageVersions(sandbox: GoSandbox, cases: Array<[string, string]>): Promise<Array<[string, number]>> {
  return runGoProgram(sandbox, 'langversion', languageVersionProgram, cases) as Promise<Array<[string, number]>>;
}

/** `go run` of a one-file program that reads JSON on stdin and writes JSON on stdout. */
async function runGoProgram(sandbox: GoSandbox, name: string, program: string, input: unknown): Promise<unknown> {
  const dir = join(sandbox.home.home, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'main.go'), program);
  return new Promise((resolve, reject) => {
    const child = spawn('go', ['run', 'main.go'], { cwd: dir, env: isolatedEnv(sandbox, 'off'), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`go run main.go exited with ${code}:\n${stderr}`));
      else resolve(JSON.parse(stdout));
    });
    child.stdin.end(JSON.stringify(input));
  });
}
