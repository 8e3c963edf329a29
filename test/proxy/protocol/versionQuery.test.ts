// The version-query rules of proxy/protocol, and the real go command agreeing with them: each
// case is served from a GOPROXY file tree and asked of `go list -m -json`.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  escapePath,
  escapeVersion,
  isIncompatibleQuery,
  isVersionQuery,
  latestVersion,
  splitPathVersion,
} from '../../../proxy/protocol/index.ts';
import { fileProxyUrl, makeGoHome, makeTempDir, parseConcatenatedJson, removeTempDir, runGo, type GoHome } from '../../fixtures/goCommand.ts';

// [module path, version asked, is it a query (may the answer name another version)]
const queries: Array<[string, string, boolean]> = [
  ['example.com/m', 'v1.0.0', false],
  ['example.com/m', 'v0.3.1-rc.1', false],
  ['example.com/m', 'v3.0.0', true],
  ['example.com/m', 'v2.1.0-pre', true],
  ['example.com/m', 'v3.0.0+incompatible', false],
  ['example.com/m', 'main', true],
  ['example.com/m', 'v1.2', true],
  ['example.com/m/v2', 'v2.0.0', false],
  ['example.com/m/v2', 'v3.0.0', true],
  ['example.com/m/v2', 'v1.0.0', true],
  ['gopkg.in/yaml.v2', 'v2.4.0', false],
  ['gopkg.in/yaml.v2', 'v3.0.0', true],
  ['gopkg.in/yaml.v1', 'v0.0.0-20200101000000-abcdefabcdef', false],
];

// [version, path's major suffix, is it a query for version+incompatible]
const incompatibleQueries: Array<[string, string, boolean]> = [
  ['v3.0.0', '', true],
  ['v2.0.0-rc.1', '', true],
  ['v2.0.0-20200101000000-abcdefabcdef', '', true],
  ['v1.9.0', '', false],
  ['v0.1.0', '', false],
  ['v3.0.0+incompatible', '', false],
  ['v3.0', '', false],
  ['master', '', false],
  ['v3.0.0', '/v2', false],
  ['v3.0.0', '.v2', false],
];

// [the versions a proxy lists, the version "latest" names (undefined: none)]
const latest: Array<[string[], string | undefined]> = [
  [['v0.9.0', 'v1.0.0', 'v1.1.0-rc.1'], 'v1.0.0'],
  [['v1.9.0', 'v1.10.0', 'v1.2.0'], 'v1.10.0'],
  [['v1.0.0-alpha', 'v1.0.0-beta.2', 'v1.0.0-beta.10'], 'v1.0.0-beta.10'],
  [['v1.0.0-rc.1', 'v1.0.1-0.20240101000000-aaaaaaaaaaaa'], 'v1.0.0-rc.1'],
  [['v1.0.0', 'v1.0.1-0.20240101000000-aaaaaaaaaaaa'], 'v1.0.0'],
  // Pseudo-versions only: the newest commit, not the highest version.
  [['v1.2.4-0.20230101000000-bbbbbbbbbbbb', 'v0.0.0-20240101000000-aaaaaaaaaaaa'], 'v0.0.0-20240101000000-aaaaaaaaaaaa'],
  [[], undefined],
];

describe('isVersionQuery', () => {
  it.each(queries)('%s@%s: query %s', (path, version, query) => {
    expect(isVersionQuery(path, version)).toBe(query);
  });
});

describe('isIncompatibleQuery', () => {
  it.each(incompatibleQueries)('%s of a path with suffix %j: %s', (version, pathMajor, query) => {
    expect(isIncompatibleQuery(version, pathMajor)).toBe(query);
  });

  it('is a query by isVersionQuery too', () => {
    for (const [version, pathMajor, query] of incompatibleQueries) {
      if (!query || pathMajor !== '') continue;
      expect(isVersionQuery('example.com/m', version), version).toBe(true);
    }
  });
});

describe('latestVersion', () => {
  it.each(latest)('%j: %s', (versions, want) => {
    expect(latestVersion(versions)).toBe(want);
    expect(latestVersion([...versions].reverse())).toBe(want);
  });

  it('ignores what is not a canonical version', () => {
    expect(latestVersion(['v2', 'master', 'v1.0.0'])).toBe('v1.0.0');
  });
});

describe('the go command agrees', () => {
  let home: GoHome | undefined;
  let root = '';
  let proxy = '';

  beforeAll(async () => {
    root = await makeTempDir('gomodproxy-version-queries-');
    proxy = join(root, 'proxy');
    home = await makeGoHome({ goproxy: fileProxyUrl(proxy) });
  });
  afterAll(async () => {
    await home?.dispose();
    await removeTempDir(root);
  });

  const time = '2024-01-01T00:00:00Z';
  async function serve(path: string, file: string, body: string): Promise<void> {
    const dir = join(proxy, escapePath(path), '@v');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, file), body);
  }
  async function serveVersion(path: string, version: string): Promise<void> {
    await serve(path, `${escapeVersion(version)}.info`, JSON.stringify({ Version: version, Time: time }));
    await serve(path, `${escapeVersion(version)}.mod`, `module ${path}\n`);
  }
  async function goList(queries: string[]): Promise<Array<{ Path: string; Version: string; Error?: { Err: string } }>> {
    const result = await runGo(['list', '-m', '-json', '-e', ...queries], { cwd: root, env: home!.env, allowFailure: true, timeoutMs: 120_000 });
    const objects = parseConcatenatedJson(result.stdout) as Array<{ Path: string; Version: string; Error?: { Err: string } }>;
    if (objects.length !== queries.length) throw new Error(`go list printed ${objects.length} results for ${queries.length} queries:\n${result.stderr}`);
    return objects;
  }

  it('takes another version for a query, and only for a query', async () => {
    // Each case gets a module of its own whose .info answers with another version of the same major.
    const asked: string[] = [];
    const answers: string[] = [];
    for (const [i, [path, version]] of queries.entries()) {
      if (/^v\d+\.\d+$/.test(version)) continue; // "v1.2" is a prefix query: go reads the list, not .info
      const split = splitPathVersion(path)!;
      const module = `${split.prefix.replace(/^(example\.com|gopkg\.in)\//, `$1/q${i}`)}${split.pathMajor}`;
      const major = split.pathMajor === '' ? 'v1' : split.pathMajor.slice(1);
      const answer = version.endsWith('+incompatible') || isIncompatibleQuery(version, split.pathMajor)
        ? `${version.replace(/\+incompatible$/, '')}${version.includes('0.0.0-') ? '' : '-zz'}+incompatible`
        : `${major}.7.7`;
      await serve(module, `${escapeVersion(version)}.info`, JSON.stringify({ Version: answer, Time: time }));
      await serveVersion(module, answer);
      asked.push(`${module}@${version}`);
      answers.push(answer);
    }
    const results = await goList(asked);
    results.forEach((result, i) => {
      const [module, version] = asked[i]!.split('@') as [string, string];
      const accepted = result.Error === undefined && result.Version === answers[i];
      expect(accepted, `${asked[i]}: go said ${JSON.stringify(result)}`).toBe(isVersionQuery(module, version));
    });
  });

  it('names the latest version as latestVersion does', async () => {
    const asked: string[] = [];
    for (const [i, [versions]] of latest.entries()) {
      const module = `example.com/latest${i}`;
      for (const version of versions) await serveVersion(module, version);
      await serve(module, 'list', versions.map((v) => `${v}\n`).join(''));
      asked.push(`${module}@latest`);
    }
    const results = await goList(asked);
    results.forEach((result, i) => {
      const [versions, want] = latest[i]!;
      const said = result.Error === undefined ? result.Version : undefined;
      expect(said, `${JSON.stringify(versions)}: go said ${JSON.stringify(result)}`).toBe(want);
      expect(latestVersion(versions)).toBe(said);
    });
  });
});
