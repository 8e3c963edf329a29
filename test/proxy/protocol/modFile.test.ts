// go.mod and go.work files: each case is also read by the go command (`go mod edit -json`,
// `go work edit -json`), which must find the same module, go, toolchain, require, exclude, replace
// and use.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLocalReplacement, ModFileError, parseModFile, parseWorkFile, type ModFile, type WorkFile } from '../../../proxy/protocol/index.ts';
import { runGo } from '../../fixtures/goCommand.ts';
import { makeGoSandbox, type GoSandbox } from './goCommand.ts';

const goMods: Record<string, string> = {
  'one-line requires': 'module example.com/m\n\ngo 1.21\n\nrequire example.com/a v1.0.0\nrequire example.com/b v0.1.0 // indirect\n',
  'blocks and comments': `// leading comment
module example.com/m // trailing

go 1.22.0
toolchain go1.22.1

require (
\t// a comment line
\texample.com/a v1.2.3
\texample.com/B/v2 v2.0.0-20240101000000-abcdefabcdef // indirect
\tgopkg.in/yaml.v3 v3.0.1 // indirect; a note
\texample.com/c v1.0.0 //indirect
)

exclude (
\texample.com/a v1.2.2
)
exclude example.com/a v1.1.0

replace example.com/a v1.2.3 => example.com/fork v1.2.4
replace (
\texample.com/c => ../c
\texample.com/d v1.0.0 => /abs/d
\texample.com/e => example.com/e2 v0.0.1
)

retract v1.0.0
retract [v1.1.0, v1.2.0] // bad releases
godebug default=go1.21
tool example.com/a/cmd/tool
`,
  'quoted strings': 'module "example.com/quoted"\n\nrequire (\n\t"example.com/a" v1.0.0\n\texample.com/b "v1.1.0"\n)\n',
  'no requires': 'module example.com/empty\n',
  'carriage returns': 'module example.com/crlf\r\n\r\nrequire example.com/a v1.0.0\r\n',
};

const goWorks: Record<string, string> = {
  'uses and replaces': 'go 1.22\n\nuse (\n\t./a\n\t../b // comment\n)\nuse ./c\n\nreplace example.com/x => example.com/y v1.0.0\n',
};

type GoModJson = {
  Module?: { Path: string };
  Go?: string;
  Toolchain?: string;
  Require?: Array<{ Path: string; Version: string; Indirect?: boolean }> | null;
  Exclude?: Array<{ Path: string; Version: string }> | null;
  Replace?: Array<{ Old: { Path: string; Version?: string }; New: { Path: string; Version?: string } }> | null;
  Use?: Array<{ DiskPath: string }> | null;
};

const replaces = (json: GoModJson) =>
  (json.Replace ?? []).map((r) => ({
    oldPath: r.Old.Path,
    ...(r.Old.Version && { oldVersion: r.Old.Version }),
    newPath: r.New.Path,
    ...(r.New.Version && { newVersion: r.New.Version }),
  }));

describe('go.mod and go.work', () => {
  let sandbox: GoSandbox;
  let dir: string;
  beforeAll(async () => {
    sandbox = await makeGoSandbox();
    dir = await mkdtemp(join(tmpdir(), 'gomodproxy-modfile-'));
  });
  afterAll(async () => {
    await sandbox.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it.each(Object.entries(goMods))('reads a go.mod with %s as the go command does', async (_name, text) => {
    await writeFile(join(dir, 'go.mod'), text);
    const go = await runGo(['mod', 'edit', '-json'], { cwd: dir, env: sandbox.home.env });
    const json = JSON.parse(go.stdout) as GoModJson;
    const want: ModFile = {
      module: json.Module?.Path,
      ...(json.Go !== undefined && { go: json.Go }),
      ...(json.Toolchain !== undefined && { toolchain: json.Toolchain }),
      require: (json.Require ?? []).map((r) => ({ path: r.Path, version: r.Version, indirect: r.Indirect === true })),
      exclude: (json.Exclude ?? []).map((e) => ({ path: e.Path, version: e.Version })),
      replace: replaces(json),
    };
    expect(parseModFile(text)).toEqual(want);
  });

  it.each(Object.entries(goWorks))('reads a go.work with %s as the go command does', async (_name, text) => {
    const workDir = await mkdtemp(join(dir, 'work-'));
    await writeFile(join(workDir, 'go.work'), text);
    // The sandbox sets GOWORK=off; `go work edit` reads the file it is given.
    const go = await runGo(['work', 'edit', '-json', join(workDir, 'go.work')], { cwd: workDir, env: sandbox.home.env });
    const json = JSON.parse(go.stdout) as GoModJson;
    const want: WorkFile = { use: (json.Use ?? []).map((u) => u.DiskPath), replace: replaces(json) };
    expect(parseWorkFile(text)).toEqual(want);
  });

  it.each([
    ['require example.com/a\n', /go\.mod:1: usage: require module\/path v1\.2\.3/],
    ['require (\nexample.com/a v1.0.0\n', /go\.mod:1: require block is not closed/],
    ['frobnicate x\n', /go\.mod:1: unknown directive: frobnicate/],
    ['module "example.com/m\n', /unterminated string/],
    ['replace example.com/a => \n', /usage: replace/],
    ['require `example.com/a` v1.0.0\n', /unquoted string cannot hold a quote/],
    ['replace example.com/a "=>" example.com/b v1.0.0\n', /usage: replace/],
    ['replace example.com/a=>example.com/b v1.0.0\n', /usage: replace/],
  ])('refuses %j', (text, message) => {
    expect(() => parseModFile(text)).toThrow(ModFileError);
    expect(() => parseModFile(text)).toThrow(message);
  });

  it('tells local replacements from module ones', () => {
    const { replace } = parseModFile(goMods['blocks and comments']!);
    expect(replace.map(isLocalReplacement)).toEqual([false, true, true, false]);
  });
});
